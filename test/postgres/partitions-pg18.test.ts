import { definePartitionTests } from './partitions.ts';

/**
 * Partitioned tables and partitions on PostgreSQL 18: NOT NULL constraints that partitions inherit
 * under their parent's names, identity columns on partitioned tables (17+). Compared on the
 * server (pg_dump 15 cannot read 18).
 */
definePartitionTests('18', { pgDumpReadsServer: false });
