import { defineNewFeaturesTests } from './new-features.ts';

// PostgreSQL 16: STORAGE in CREATE TABLE, SQL/JSON constructors and IS JSON, with 15's additions.
defineNewFeaturesTests('16');
