import { defineNewFeaturesTests } from './new-features.ts';

// PostgreSQL 17: MAINTAIN, SET EXPRESSION, identity and access methods on partitioned tables, login
// event triggers, named domain NOT NULL constraints, with 15-16's additions.
defineNewFeaturesTests('17');
