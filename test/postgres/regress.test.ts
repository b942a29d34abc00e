import { defineRegressionTests } from './regress.ts';

// PostgreSQL 15 in CI, whose image's pg_dump is the reference; REGRESS_PG=N runs the corpus on
// postgres:N instead (with TEST_PG_DUMP for a pg_dump as new as a 16..18 server).
defineRegressionTests(process.env.REGRESS_PG ?? '15');
