PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE fv_token_vault (
    id TEXT PRIMARY KEY NOT NULL,
    sealed TEXT NOT NULL,
    version BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT
);
INSERT INTO fv_token_vault VALUES('vcJT9N4ixAWHsFzl73p0yc0La0dFdNlHAlFA58fYXbU','Mn2zs8GzXU5TS0Gxk1cLu2aVGSW-AKTQPMPbJz-j0itbjFdgQJ9wzkcw3mVgyFQvC_37kLzraddLP_cu4fPULmvDPCW_TNi1LUPf2ZnZNOWpR2GSj_BfjY4sjHm1SceeRyoavyYmR6IN7A8W6X46aVuj8jl5tPCEOs8x_J70SVjZ-BT8zHS7d1KRdTqCASxQutJQ7ZFsuVw-OB-dtkm_Y4dQtNzl50O4T9rIbMMgdK7VCos6qnCExNhhKOfFZby-zP5Wjs8nuFSREuEyk3WUPp0bYCwpMxiIqePQVUb7pfuYrNc0n48vaSmp0E1NOGldz3PF1BLSZxRvyb34345Pk5uPNuTlLJR3NHt9YvYNxYUx-mAjQI7V4wz_OGznqCjz8AP31RdVzUy2a44wPF079jhtKOSeqc6dFVOXm1n_BBS0QmCYx_Uj7pQwRmibiiY70sWh8coNCTr4FTIlY6FqwR7OM4FoT6V22CatVvs_60Mh0mgMgVHG10wt3hs6RRmc4QBN62VuvxACyHMHpDKoytysgBh_5rKntRN9nLks5BpYCbmi3jREuS5-HWQM6q_5J6Vhn5yCAdmjSum0uiVh_gHZe2bJuWMsfOoCH36KsiModKfyH7g_5HGvn2LaExfChaT2SDFCuDmk99P0cjKDKEoZWEKcmwcul3q_6umwoucaIW-FMKbtworHUDVj4_dAlqQ8Zyry-4bIRaeFPFXj_poC5T1hHYfIO7iABss9Vbf607mPTMPeOaHce-6zkeVxEmjhpoUVQWEX3tQN3o69VMRY7cmx2PRY9fx6GHPhFxDm0T540mezW5J1xTp6yRVkkb1lLPdj2s3slfEv5o_Vsxj4aIhL_81E6_RwQvfgjxRhH9Stuh3RxOHLqOypZI7cT-GRFi12vDYlKVxEDEivw9OlYEwvzGlVGVx-IjgBZQpHhr4w1V7DCytExmXC-3ZXV43DYLuiQ75pvKNvBvaJ79KcklBmjAxPFRRiT94U2sWfpxAuxtGUy-iJwoQCjAfMG0Ny5f7RPVrGo2VI3wpitHwhD9egLw-GESqg7raY72Ao05255jg534NEwWuYgb9gLu6i91eKRqi4ojiDxS1Fszp-NmDMACDkd3jT1QbTnjQwO8PHj_Fj5jD1GLq3EZvcPDNBEOPBOBUL8Ms_VYflbl3ACGujtMPAhqyw12sU5TXCu3LOULXg_UofJE85Rrw6wcKIRF1DJTc3xeg6ocpuhw3yrfCtUGB3lIGXqPl33GU1xgNRm-JPgwDGPEV_agDgwLlb9HdySAFx2AshCuq7nNOmrc8lEaoMle0LMDyq6jvO1v8BseT2xYx4XKJlbIcHUtASPi8AKT7oEYIllUChYCwnwSoYvjBlDE7XQYgNCHC0wlfSmwYR_1dfv0B6eHbHH7ejdFGaw56f-XAoJz0auqbJ',1,1796785272,NULL,NULL);
CREATE TABLE fv_integration (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    sealed_pat TEXT,
    last4 TEXT NOT NULL,
    email TEXT NOT NULL,
    verified_name TEXT,
    verified_at BIGINT,
    token_valid_until BIGINT,
    last_error TEXT,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO fv_integration VALUES(1,NULL,'a1b2','reporting-bot@lovelace-law.example','Reporting Bot',1796000000,NULL,NULL,'ada@lovelace-law.example',1796000000);
CREATE TABLE fv_snapshots (
    org_id BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    phase TEXT NOT NULL,
    count BIGINT NOT NULL,
    connection TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, taken_at, phase)
);
INSERT INTO fv_snapshots VALUES(5001,1795000000,'Intake',3,'bi');
CREATE TABLE fv_phase_snapshots (
    environment TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    phase TEXT NOT NULL,
    count BIGINT NOT NULL,
    connection TEXT NOT NULL,
    PRIMARY KEY (environment, org_id, taken_at, phase)
);
INSERT INTO fv_phase_snapshots VALUES('us',5001,1795000000,'Intake',3,'bi');
INSERT INTO fv_phase_snapshots VALUES('us',5001,1796000000,'Discovery',7,'bi');
CREATE TABLE fv_snapshot_claims (
    connection TEXT PRIMARY KEY,
    claimed_at BIGINT NOT NULL
);
INSERT INTO fv_snapshot_claims VALUES('bi',1796000000);
CREATE TABLE fv_connections (
    name TEXT PRIMARY KEY NOT NULL,
    environment TEXT NOT NULL,
    auth TEXT NOT NULL,
    concurrency BIGINT NOT NULL,
    borrow_from TEXT,
    sealed_secret TEXT,
    last4 TEXT NOT NULL,
    email TEXT NOT NULL,
    verified_name TEXT,
    status TEXT NOT NULL,
    last_success_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    id TEXT NOT NULL DEFAULT ''
);
INSERT INTO fv_connections VALUES('bi','us','pat',4,NULL,'WEh98QwvuD12gQGuXcxSN5SIWduKp3DmvPnRI_tm-HubPqiIHMihsexHQ7pbsjcNdqsschTmP3JTRp7xVAwSW796MVcp','cdef','reporting-bot@lovelace-law.example',NULL,'untested',NULL,NULL,NULL,'test',1796698872,'conn_d6a8dab6a8dd47d381a3a055ebf83dc1');
CREATE TABLE fv_live_subscriptions (
    connection_id TEXT PRIMARY KEY NOT NULL,
    connection TEXT NOT NULL,
    environment TEXT NOT NULL,
    wanted TEXT NOT NULL,
    org_id BIGINT,
    user_id BIGINT,
    subscription_id TEXT,
    endpoint TEXT,
    last_error TEXT,
    last_error_at BIGINT,
    last_delivery_at BIGINT,
    refused_deliveries BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    claims BIGINT NOT NULL DEFAULT 0
);
INSERT INTO fv_live_subscriptions VALUES('conn_fixture_live','bi-live','us','off',5001,1001,NULL,NULL,NULL,NULL,NULL,0,1796000000,0);
CREATE TABLE fv_permits (
    pool TEXT NOT NULL,
    slot BIGINT NOT NULL,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (pool, slot)
);
INSERT INTO fv_permits VALUES('fixture-pool',0,'replica-a',1796000030);
CREATE TABLE fv_feed_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    connection TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    filters TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    connection_id TEXT NOT NULL DEFAULT ''
);
INSERT INTO fv_feed_keys VALUES('5038c20a68bb5d77','Power BI weekly','bi',5001,'','d5e014d7caab38acd603c6b267d8cd96e19ac964e309afcfa7832c76e63dab73','ada@lovelace-law.example',1796698872,1796698872,NULL,'conn_d6a8dab6a8dd47d381a3a055ebf83dc1');
CREATE TABLE fv_org_choice (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    chosen_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
INSERT INTO fv_org_choice VALUES('https://identity.filevine.com','fv-user-1002',5002,1796000000);
CREATE TABLE fv_session_index (
    stored_id TEXT PRIMARY KEY NOT NULL,
    environment TEXT NOT NULL,
    subject TEXT NOT NULL,
    sid TEXT,
    email TEXT,
    vault_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    browser TEXT,
    expires_at BIGINT NOT NULL
);
INSERT INTO fv_session_index VALUES('uyefDyybzr9rV_2FAF7Kmw','us','fv-user-1001','sid_uthcVO0tkAdMC6-bEfVGZiLclnqLCcKAS_bQzNAn8eo','ada@lovelace-law.example','vcJT9N4ixAWHsFzl73p0yc0La0dFdNlHAlFA58fYXbU',1796698872,NULL,1796785272);
CREATE TABLE fv_logout_jti (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
INSERT INTO fv_logout_jti VALUES('https://identity.filevine.com','logout-jti-1',1796000600);
CREATE TABLE fv_connection_health (
    connection TEXT PRIMARY KEY NOT NULL,
    health TEXT NOT NULL,
    reason TEXT NOT NULL,
    since BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    claimed_at BIGINT NOT NULL,
    alerted TEXT NOT NULL,
    alerted_at BIGINT NOT NULL
);
INSERT INTO fv_connection_health VALUES('bi','ok','',1796000000,1796000000,1796000000,'ok',1796000000);
CREATE TABLE fv_health_checks (
    id TEXT PRIMARY KEY NOT NULL,
    connection TEXT NOT NULL,
    checked_at_ms BIGINT NOT NULL,
    health TEXT NOT NULL,
    reason TEXT NOT NULL
);
INSERT INTO fv_health_checks VALUES('chk_1','bi',1796000000000,'ok','');
CREATE TABLE fv_expiry_alerts (
    subject TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (subject, expires_on, threshold)
);
INSERT INTO fv_expiry_alerts VALUES('client-secret:us','2027-06-30',30,1796000000);
CREATE TABLE fv_credential_expiry (
    subject TEXT PRIMARY KEY NOT NULL,
    expires_on TEXT NOT NULL
);
INSERT INTO fv_credential_expiry VALUES('pat:bi','2027-06-30');
CREATE TABLE fv_alert_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);
INSERT INTO fv_alert_outbox VALUES('alert_1','webhook','Connection bi is broken','The gateway refused the PAT.',1796000000,1,1796000000,1796000001,NULL);
CREATE TABLE fv_served_orgs (
    environment TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (environment, org_id)
);
INSERT INTO fv_served_orgs VALUES('us',5001,1796698872);
CREATE TABLE fv_connection_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    who TEXT NOT NULL,
    connection TEXT NOT NULL,
    what TEXT NOT NULL
);
INSERT INTO fv_connection_audit VALUES(1,1796698872,'test','bi','saved a PAT (not verified)');
INSERT INTO fv_connection_audit VALUES(2,1796698872,'test','bi','changed the settings: bi on us, pat as reporting-bot@lovelace-law.example, concurrency 4');
CREATE TABLE fv_webhook_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    jti TEXT,
    body_hash TEXT NOT NULL,
    day BIGINT NOT NULL,
    event TEXT NOT NULL,
    project_id BIGINT,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    applied_at BIGINT
);
INSERT INTO fv_webhook_inbox VALUES(1,'us',5001,'jti-fixture-1','d2b1c0ffee',20788,'Project.Updated',9001,'{"Event":"Project.Updated"}',1796000000,'applied',1796000001);
CREATE TABLE tower_sessions
            (
                id text primary key not null,
                data blob not null,
                expiry_date integer not null
            );
INSERT INTO tower_sessions VALUES('uyefDyybzr9rV_2FAF7Kmw',X'93c4109bca5e0085fd576bbfce9b2c0f9f27bb81a766762e757365728da762726f77736572c0a463737266d92b4f3430627a454b4c795f6144544e4f54444d415f4d595f6e694a4b6c674b37714c573776555058396f6934ab63757272656e745f6f7267cd1389ab656e7669726f6e6d656e74a27573aa66697273745f6e616d65a3416461a866765f656d61696cb8616461406c6f76656c6163652d6c61772e6578616d706c65aa66765f757365725f6964cd03e9a86964656e7469747989a6636c61696d739692a3697373b6687474703a2f2f3132372e302e302e313a343338303792a3737562ac66762d757365722d3130303192a3617564ab746573742d636c69656e7492a3696174b9323032362d31322d30385430333a30313a31322b30303a303092a3657870b9323032362d31322d30385430343a30313a31322b30303a303092a9617574685f74696d65b9323032362d31322d30385430333a30313a31322b30303a3030a5656d61696cb8616461406c6f76656c6163652d6c61772e6578616d706c65ac656d61696c5f736f75726365a855736572696e666fae656d61696c5f7665726966696564c3a6697373756572b6687474703a2f2f3132372e302e302e313a3433383037a46e616d65ac416461204c6f76656c616365a3736964d92f7369645f75746863564f30746b41644d43362d62456656475a694c636c6e714c43634b41535f62517a4e416e38656fa77375626a656374ac66762d757365722d31303031a875736572696e666fa452656164a96c6173745f6e616d65a84c6f76656c616365a86c6f67696e5f6174ce6b1772f8a46f7267739182a26964cd1389a46e616d65b74c6f76656c616365202620506172746e657273204c4c50a9757365725f7479706500a87661756c745f6964d92b76634a54394e34697841574873467a6c373370307963304c61306446644e6c48416c46413538665958625599cd07eacd015605030cce21ed366c000000','2026-12-08T05:03:12.569194092Z');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('fv_connection_audit',2);
INSERT INTO sqlite_sequence VALUES('fv_webhook_inbox',1);
CREATE INDEX fv_session_index_subject ON fv_session_index (environment, subject);
CREATE INDEX fv_session_index_sid ON fv_session_index (environment, sid);
CREATE INDEX fv_health_checks_by_connection ON fv_health_checks (connection, checked_at_ms);
CREATE UNIQUE INDEX fv_webhook_inbox_jti
    ON fv_webhook_inbox (environment, jti) WHERE jti IS NOT NULL;
CREATE UNIQUE INDEX fv_webhook_inbox_body
    ON fv_webhook_inbox (environment, org_id, body_hash, day);
CREATE INDEX fv_webhook_inbox_pending
    ON fv_webhook_inbox (outcome, id);
COMMIT;
