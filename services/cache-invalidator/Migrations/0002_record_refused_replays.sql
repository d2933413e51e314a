-- A replay publishes only to queues of this deployment (issue #13 item 7, docs/security.md): a dead letter whose
-- sender-written fault address names another queue, broker or virtual host is refused, stays stored, and its history
-- entry says which ones and why: [{"id": 12, "queue": "…", "reason": "…"}, …].
ALTER TABLE invalidator.dead_letter_history
    ADD COLUMN refused  integer NOT NULL DEFAULT 0,
    ADD COLUMN refusals jsonb   NOT NULL DEFAULT '[]';
