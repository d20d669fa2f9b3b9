-- The trigram index (migration 0020) merges its segments less often. FTS5 writes each
-- transaction's new terms as a segment and, with its default automerge of 4, merges every
-- four segments of a level into one of the next: each address is rewritten once per level,
-- about ten levels at a million requests. Profiled at a million stored requests, those merges
-- were 15% of the writer's time in CreatePrivacyRequest (fts5IndexMergeLevel and its reads),
-- and creates ran at 0.72 - 0.77 of an empty database's rate (issue 14, section 2: at least
-- 0.8). With 16 a level's segments are merged sixteen at a time, half as many levels: half
-- the rewriting, for a search that reads up to four times as many (small) segments.
--
-- crisismerge, FTS5's bound past which a level is merged whole at once (default 16), goes to
-- 64: at 16 it would be reached as soon as automerge is, and every merge would be done whole
-- inside one create's transaction instead of a little after each write.
INSERT INTO privacy_requests_email_trigrams (privacy_requests_email_trigrams, rank) VALUES ('automerge', 16);
INSERT INTO privacy_requests_email_trigrams (privacy_requests_email_trigrams, rank) VALUES ('crisismerge', 64);
