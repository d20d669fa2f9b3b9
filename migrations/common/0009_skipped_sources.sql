-- Why a registered source was not asked to do a request's action (a run in state SKIPPED):
-- DISABLED, CANNOT_EXPORT or CANNOT_ERASE. NULL on every other run.
ALTER TABLE source_runs ADD COLUMN skip_reason TEXT;
