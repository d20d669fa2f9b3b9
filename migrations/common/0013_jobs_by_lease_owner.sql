-- Each replica reads, once a poll interval, which of the jobs leased to it may go on (a job of
-- a cancelled request stops). Only running jobs hold a lease (finishing, retrying and
-- releasing a cancelled job clear it), so the index stays as small as the work in flight.
CREATE INDEX jobs_by_lease_owner ON jobs (lease_owner) WHERE lease_owner IS NOT NULL;
