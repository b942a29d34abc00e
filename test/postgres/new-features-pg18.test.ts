import { defineNewFeaturesTests } from './new-features.ts';

// PostgreSQL 18: virtual generated columns, NOT ENFORCED constraints, temporal keys, named and NOT
// VALID NOT NULL constraints, uuidv7(), with all of 15-17's additions.
defineNewFeaturesTests('18');
