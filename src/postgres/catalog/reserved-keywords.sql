-- Keywords the grammar reserves in any way: an identifier equal to one is quoted (as pg_dump's fmtId).
SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'
