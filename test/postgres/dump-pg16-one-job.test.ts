import { defineRoundTripTests } from './round-trip.ts';

// The single-connection path (--jobs 1): the same fidelity as the parallel default.
defineRoundTripTests('16', { jobs: 1 });
