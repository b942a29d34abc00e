import { defineRegressionTests } from './regress.ts';

// PostgreSQL 14, the oldest version Immich users run: its catalogs predate MERGE-era changes
// (older ACL shapes, no NULLS NOT DISTINCT...). The client image's pg_dump 15 is the reference.
defineRegressionTests('14');
