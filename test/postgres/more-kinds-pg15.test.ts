import { defineMoreKindsTests } from './more-kinds.ts';

// PostgreSQL 15: the machine's pg_dump 15 is a reference too.
defineMoreKindsTests('15');
