import { definePartitionTests } from './partitions.ts';

/** Partitioned tables and partitions on PostgreSQL 15, where the machine's pg_dump 15 is the reference. */
definePartitionTests('15', { pgDumpReadsServer: true });
