-- The ops console (ADR 015) records its replays and purges with origin 'console', so the history tells a click in the
-- browser from a script calling the JSON API ('http') and from the CLI ('cli').
ALTER TABLE invalidator.dead_letter_history DROP CONSTRAINT dead_letter_history_origin_known;
ALTER TABLE invalidator.dead_letter_history
    ADD CONSTRAINT dead_letter_history_origin_known CHECK (origin IN ('cli', 'http', 'console'));
