-- Live subscriptions back off after failed calls (failures, retry_at) and take turns through a
-- lease on their row (lease_until) instead of a claim counter.
ALTER TABLE fv_live_subscriptions ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fv_live_subscriptions ADD COLUMN retry_at BIGINT;
ALTER TABLE fv_live_subscriptions ADD COLUMN lease_until BIGINT;
ALTER TABLE fv_live_subscriptions DROP COLUMN claims;
