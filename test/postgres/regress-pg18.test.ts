import { defineRegressionTests } from './regress.ts';

// PostgreSQL 18, whose catalogs differ most from 15 (NOT NULL constraints in pg_constraint,
// virtual generated columns...). Without a pg_dump 18 (TEST_PG_DUMP) the schemas are compared by
// the server-side description; the catalog fingerprint is compared either way.
defineRegressionTests('18');
