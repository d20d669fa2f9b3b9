-- The W3C trace context (traceparent, tracestate) of the span that queued a job, as a JSON
-- object; NULL when traces are off or nothing was being traced. The job's span continues that
-- trace (see executor), so a request's processing is one trace however many replicas, retries
-- and hours it spans. Not personal data: two random ids and the tracing vendors' state.
ALTER TABLE jobs ADD COLUMN trace_context TEXT;
