import { defineMoreKindsTests } from './more-kinds.ts';

// PostgreSQL 18, whose pg_dump writes large objects in groups (BLOB METADATA): the restored
// database must still dump exactly like the source.
defineMoreKindsTests('18');
