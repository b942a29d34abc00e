import { defineRoundTripTests } from './round-trip.ts';

// More workers than cores: tables finish out of order and are still joined in pg_dump's order.
defineRoundTripTests('14', { jobs: 4 });
