import { defineNewFeaturesTests } from './new-features.ts';

// PostgreSQL 15, where the machine's pg_dump 15 compares source and restore too: NULLS NOT
// DISTINCT, security_invoker views, parameter privileges (left out), multiranges of custom ranges.
defineNewFeaturesTests('15');
