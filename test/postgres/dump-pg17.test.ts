import { defineRoundTripTests } from './round-trip.ts';

defineRoundTripTests('17');
