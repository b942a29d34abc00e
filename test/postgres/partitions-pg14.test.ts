import { definePartitionTests } from './partitions.ts';

/**
 * Partitioned tables and partitions on PostgreSQL 14, where a trigger's clones on the partitions are
 * marked internal (a clone's own enabled state must still be written), with pg_dump 15 as the reference.
 */
definePartitionTests('14', { pgDumpReadsServer: true });
