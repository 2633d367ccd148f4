-- The snapshot table from before snapshots were kept per environment. The release that made
-- fv_phase_snapshots copied its rows there when it first started, and nothing reads it since.
DROP TABLE IF EXISTS fv_snapshots;
