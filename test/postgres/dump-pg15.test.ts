import { defineRoundTripTests } from './round-trip.ts';

// 15 is the newest server the machine's pg_dump reads: it checks NULLS NOT DISTINCT against pg_dump too.
defineRoundTripTests('15');
