--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: tower_sessions; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA tower_sessions;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: fv_alert_outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_alert_outbox (
    id text NOT NULL,
    channel text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL,
    attempts bigint NOT NULL,
    next_at bigint NOT NULL,
    sent_at bigint,
    last_error text
);


--
-- Name: fv_connection_audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_connection_audit (
    id bigint NOT NULL,
    at bigint NOT NULL,
    who text NOT NULL,
    connection text NOT NULL,
    what text NOT NULL
);


--
-- Name: fv_connection_audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.fv_connection_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: fv_connection_audit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.fv_connection_audit_id_seq OWNED BY public.fv_connection_audit.id;


--
-- Name: fv_connection_health; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_connection_health (
    connection text NOT NULL,
    health text NOT NULL,
    reason text NOT NULL,
    since bigint NOT NULL,
    checked_at bigint NOT NULL,
    claimed_at bigint NOT NULL,
    alerted text NOT NULL,
    alerted_at bigint NOT NULL
);


--
-- Name: fv_connections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_connections (
    name text NOT NULL,
    environment text NOT NULL,
    auth text NOT NULL,
    concurrency bigint NOT NULL,
    borrow_from text,
    sealed_secret text,
    last4 text NOT NULL,
    email text NOT NULL,
    verified_name text,
    status text NOT NULL,
    last_success_at bigint,
    last_error text,
    last_error_at bigint,
    updated_by text NOT NULL,
    updated_at bigint NOT NULL,
    id text DEFAULT ''::text NOT NULL
);


--
-- Name: fv_credential_expiry; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_credential_expiry (
    subject text NOT NULL,
    expires_on text NOT NULL
);


--
-- Name: fv_expiry_alerts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_expiry_alerts (
    subject text NOT NULL,
    expires_on text NOT NULL,
    threshold bigint NOT NULL,
    sent_at bigint NOT NULL
);


--
-- Name: fv_feed_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_feed_keys (
    id text NOT NULL,
    name text NOT NULL,
    connection text NOT NULL,
    org_id bigint NOT NULL,
    filters text NOT NULL,
    key_hash text NOT NULL,
    created_by text NOT NULL,
    created_at bigint NOT NULL,
    last_used_at bigint,
    revoked_at bigint,
    connection_id text DEFAULT ''::text NOT NULL
);


--
-- Name: fv_health_checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_health_checks (
    id text NOT NULL,
    connection text NOT NULL,
    checked_at_ms bigint NOT NULL,
    health text NOT NULL,
    reason text NOT NULL
);


--
-- Name: fv_integration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_integration (
    id integer NOT NULL,
    sealed_pat text,
    last4 text NOT NULL,
    email text NOT NULL,
    verified_name text,
    verified_at bigint,
    token_valid_until bigint,
    last_error text,
    updated_by text NOT NULL,
    updated_at bigint NOT NULL,
    CONSTRAINT fv_integration_id_check CHECK ((id = 1))
);


--
-- Name: fv_live_subscriptions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_live_subscriptions (
    connection_id text NOT NULL,
    connection text NOT NULL,
    environment text NOT NULL,
    wanted text NOT NULL,
    org_id bigint,
    user_id bigint,
    subscription_id text,
    endpoint text,
    last_error text,
    last_error_at bigint,
    last_delivery_at bigint,
    refused_deliveries bigint DEFAULT 0 NOT NULL,
    updated_at bigint NOT NULL,
    claims bigint DEFAULT 0 NOT NULL
);


--
-- Name: fv_logout_jti; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_logout_jti (
    issuer text NOT NULL,
    jti text NOT NULL,
    expires_at bigint NOT NULL
);


--
-- Name: fv_org_choice; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_org_choice (
    issuer text NOT NULL,
    subject text NOT NULL,
    org_id bigint NOT NULL,
    chosen_at bigint NOT NULL
);


--
-- Name: fv_permits; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_permits (
    pool text NOT NULL,
    slot bigint NOT NULL,
    holder text NOT NULL,
    expires_at bigint NOT NULL
);


--
-- Name: fv_phase_snapshots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_phase_snapshots (
    environment text NOT NULL,
    org_id bigint NOT NULL,
    taken_at bigint NOT NULL,
    phase text NOT NULL,
    count bigint NOT NULL,
    connection text NOT NULL
);


--
-- Name: fv_served_orgs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_served_orgs (
    environment text NOT NULL,
    org_id bigint NOT NULL,
    seen_at bigint NOT NULL
);


--
-- Name: fv_session_index; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_session_index (
    stored_id text NOT NULL,
    environment text NOT NULL,
    subject text NOT NULL,
    sid text,
    email text,
    vault_id text NOT NULL,
    started_at bigint NOT NULL,
    browser text,
    expires_at bigint NOT NULL
);


--
-- Name: fv_snapshot_claims; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_snapshot_claims (
    connection text NOT NULL,
    claimed_at bigint NOT NULL
);


--
-- Name: fv_snapshots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_snapshots (
    org_id bigint NOT NULL,
    taken_at bigint NOT NULL,
    phase text NOT NULL,
    count bigint NOT NULL,
    connection text DEFAULT ''::text NOT NULL
);


--
-- Name: fv_token_vault; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_token_vault (
    id text NOT NULL,
    sealed text NOT NULL,
    version bigint NOT NULL,
    expires_at bigint NOT NULL,
    lease_owner text,
    lease_until bigint
);


--
-- Name: fv_webhook_inbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fv_webhook_inbox (
    id bigint NOT NULL,
    environment text NOT NULL,
    org_id bigint NOT NULL,
    jti text,
    body_hash text NOT NULL,
    day bigint NOT NULL,
    event text NOT NULL,
    project_id bigint,
    body text NOT NULL,
    received_at bigint NOT NULL,
    outcome text NOT NULL,
    applied_at bigint
);


--
-- Name: fv_webhook_inbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.fv_webhook_inbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: fv_webhook_inbox_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.fv_webhook_inbox_id_seq OWNED BY public.fv_webhook_inbox.id;


--
-- Name: session; Type: TABLE; Schema: tower_sessions; Owner: -
--

CREATE TABLE tower_sessions.session (
    id text NOT NULL,
    data bytea NOT NULL,
    expiry_date timestamp with time zone NOT NULL
);


--
-- Name: fv_connection_audit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_connection_audit ALTER COLUMN id SET DEFAULT nextval('public.fv_connection_audit_id_seq'::regclass);


--
-- Name: fv_webhook_inbox id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_webhook_inbox ALTER COLUMN id SET DEFAULT nextval('public.fv_webhook_inbox_id_seq'::regclass);


--
-- Data for Name: fv_alert_outbox; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_alert_outbox VALUES ('alert_1', 'webhook', 'Connection bi is broken', 'The gateway refused the PAT.', 1796000000, 1, 1796000000, 1796000001, NULL);


--
-- Data for Name: fv_connection_audit; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_connection_audit VALUES (1, 1796698872, 'test', 'bi', 'saved a PAT (not verified)');
INSERT INTO public.fv_connection_audit VALUES (2, 1796698872, 'test', 'bi', 'changed the settings: bi on us, pat as reporting-bot@lovelace-law.example, concurrency 4');


--
-- Data for Name: fv_connection_health; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_connection_health VALUES ('bi', 'ok', '', 1796000000, 1796000000, 1796000000, 'ok', 1796000000);


--
-- Data for Name: fv_connections; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_connections VALUES ('bi', 'us', 'pat', 4, NULL, '4radpqJidR_Y_lZDTKImPqASQomy6YLrluya3LKRk4Xao0admPS6CZs4Cs5g7h9Lzgixpfnxpj0sDD21vpnMSB5Mmc6A', 'cdef', 'reporting-bot@lovelace-law.example', NULL, 'untested', NULL, NULL, NULL, 'test', 1796698872, 'conn_ff27a000653c41c181e4ff495be8a761');


--
-- Data for Name: fv_credential_expiry; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_credential_expiry VALUES ('pat:bi', '2027-06-30');


--
-- Data for Name: fv_expiry_alerts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_expiry_alerts VALUES ('client-secret:us', '2027-06-30', 30, 1796000000);


--
-- Data for Name: fv_feed_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_feed_keys VALUES ('f895335678b11997', 'Power BI weekly', 'bi', 5001, '', '028f8b6f2958617c949858f66b1ff72f619f51441bc1db6f1bf6ed9ad9cde5e2', 'ada@lovelace-law.example', 1796698872, 1796698872, NULL, 'conn_ff27a000653c41c181e4ff495be8a761');


--
-- Data for Name: fv_health_checks; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_health_checks VALUES ('chk_1', 'bi', 1796000000000, 'ok', '');


--
-- Data for Name: fv_integration; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_integration VALUES (1, NULL, 'a1b2', 'reporting-bot@lovelace-law.example', 'Reporting Bot', 1796000000, NULL, NULL, 'ada@lovelace-law.example', 1796000000);


--
-- Data for Name: fv_live_subscriptions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_live_subscriptions VALUES ('conn_fixture_live', 'bi-live', 'us', 'off', 5001, 1001, NULL, NULL, NULL, NULL, NULL, 0, 1796000000, 0);


--
-- Data for Name: fv_logout_jti; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_logout_jti VALUES ('https://identity.filevine.com', 'logout-jti-1', 1796000600);


--
-- Data for Name: fv_org_choice; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_org_choice VALUES ('https://identity.filevine.com', 'fv-user-1002', 5002, 1796000000);


--
-- Data for Name: fv_permits; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_permits VALUES ('fixture-pool', 0, 'replica-a', 1796000030);


--
-- Data for Name: fv_phase_snapshots; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_phase_snapshots VALUES ('us', 5001, 1795000000, 'Intake', 3, 'bi');
INSERT INTO public.fv_phase_snapshots VALUES ('us', 5001, 1796000000, 'Discovery', 7, 'bi');


--
-- Data for Name: fv_served_orgs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_served_orgs VALUES ('us', 5001, 1796698872);


--
-- Data for Name: fv_session_index; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_session_index VALUES ('90HRNMFqvXPC49Fm0pMN6Q', 'us', 'fv-user-1001', 'sid_D58JB1riwAy295eJtCs4hE91TYffve21OljYqQyVlV8', 'ada@lovelace-law.example', 'g3RFLMYPteTC0LbR4_ST0GzDxhvdDSBw33WxWG74RW4', 1796698872, NULL, 1796785272);


--
-- Data for Name: fv_snapshot_claims; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_snapshot_claims VALUES ('bi', 1796000000);


--
-- Data for Name: fv_snapshots; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_snapshots VALUES (5001, 1795000000, 'Intake', 3, 'bi');


--
-- Data for Name: fv_token_vault; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_token_vault VALUES ('g3RFLMYPteTC0LbR4_ST0GzDxhvdDSBw33WxWG74RW4', '6wP0AO5ppENfG-B2ekRCWkwyx3Dmp9k9KH5Omb4BLSipNv3EGDgYd1RKoC4tNyZExe02cP868TkfxtDAqAVeWDkYl-Vs1L73CyYcr37P0PIsju9IYPS0rTOw617lVLsY3LuBl7ReDNNJQJwdh81WH3OjdSTYw2ISkyszpYlVxIqoKRWa3PP5sQdDpSDTFkEccFcS-u7mmoG45h5Qmd42PqF7IAZrdG0zlQ4DAUZjE3X3lDkc9Eoz6yKTuFN5V4NsnerLsBeMS0i0jQv3wvjtcPDNT94uwW0OXrBIMtNmDz9XVE6baL2RIhodZqiBcVHkP_EUbJ_G2SJu93Xouuo9kc7vaD7WMei2YjCc2EmMJbz8FIcZdveHppwxWHs2SoGDcI4iReQXKTk2qDpsbAZ1vJEzq0BtEJDOkkAfavUwnOTLrcGzbb3gbaKEKAmzmTxrrh0PxyixeZjG3y88QDzbQSZxoq7WIYgJGLRgjPtNNBxSyo7izK-3yHR9RSa0w7hgQB2CKBWA854pCxaXqhepZSwuYaUJNSNyOHKHEshhliyfdMEZXz6qnK5otiyE7-ehALa7eiUMCHqZc-etqN4lOwUYjKDeS-h3mYztfgJQwS5MlHgpZCnb8jtRaZNLRfbi2pprQgtWYeL8VN93g_xinNJRBwTJG38CNRGTmZ1g_ehugKvwxJUgy4rfyo1Bn-tDazRQCF9opmduVWGqFrZ0Fd3PA-7sGziUNkmBf_HvGoJPtZpnUFARD-j2WI8sVGP8w-tg8Npj-xN8zmaEeYpZUZinEywQlIxG5lD5N8WU6htp-OogbpeixpOIC4vqXsBRUdco3aNuWGwr8IbrmUOMNqqOWNAfgtEnnwi8t5RsUue3MNJwlZmq5WvxgGLNStm8Im756Hezzgw078YJGx980TIfRB612t7olOda7lSaP6ZcSBYau4qzuNN1-F1fOYJEh-blCdfzX184nCGopKBhtJQHwqo7vIhLI7CCtZm9EvHHevcDby3Gs4cRqrVrI0iqlzZECNPb8CCG-HWwcq6qi6Ca-BOcXf27gAHJCfvekSzvL080oklt-h4kkpq7s03aKHg178cWqJ25tDZggqKS-BpbkEk-WzVBKv-oSjvI1n8K3XFf-XcySxMvcnQK23hihuXolO-OOQ94HlykGO5G7CYsrqt9KAGiFyjByGmyTo-0tl4R7NKRZRbfl0XFVCCjsM1iwiy853o8YqdvedlnhuPEpDEJJSCo40viPMCB6YyUVxYSlsIVuaIzpst1BVYisd-EdRY9s-Xo5dfZaUvLiPiYmcxSuSrQqN87_qREmgmO5We7PP0jJgjTaKTkCo75ZbbVAbGCmPkPDQ2awiSWAppla_NQ0Lypd-p9fTruD89ZHNBE9TFh3OyJatmjFT5vZYLqxb6RUPDGUWAs497Qb_ey', 1, 1796785272, NULL, NULL);


--
-- Data for Name: fv_webhook_inbox; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fv_webhook_inbox VALUES (1, 'us', 5001, 'jti-fixture-1', 'd2b1c0ffee', 20788, 'Project.Updated', 9001, '{"Event":"Project.Updated"}', 1796000000, 'applied', 1796000001);


--
-- Data for Name: session; Type: TABLE DATA; Schema: tower_sessions; Owner: -
--

INSERT INTO tower_sessions.session VALUES ('90HRNMFqvXPC49Fm0pMN6Q', '\x93c410e90d93d266d1e3c273bd6ac134d141f781a766762e757365728da762726f77736572c0a463737266d92b4f4258553235464748724e47554871334753626c397046677a694176774f645a4f574a4831756b62736a6fab63757272656e745f6f7267cd1389ab656e7669726f6e6d656e74a27573aa66697273745f6e616d65a3416461a866765f656d61696cb8616461406c6f76656c6163652d6c61772e6578616d706c65aa66765f757365725f6964cd03e9a86964656e7469747989a6636c61696d739692a3697373b6687474703a2f2f3132372e302e302e313a343437333392a3737562ac66762d757365722d3130303192a3617564ab746573742d636c69656e7492a3696174b9323032362d31322d30385430333a30313a31322b30303a303092a3657870b9323032362d31322d30385430343a30313a31322b30303a303092a9617574685f74696d65b9323032362d31322d30385430333a30313a31322b30303a3030a5656d61696cb8616461406c6f76656c6163652d6c61772e6578616d706c65ac656d61696c5f736f75726365a855736572696e666fae656d61696c5f7665726966696564c3a6697373756572b6687474703a2f2f3132372e302e302e313a3434373333a46e616d65ac416461204c6f76656c616365a3736964d92f7369645f4435384a42317269774179323935654a744373346845393154596666766532314f6c6a59715179566c5638a77375626a656374ac66762d757365722d31303031a875736572696e666fa452656164a96c6173745f6e616d65a84c6f76656c616365a86c6f67696e5f6174ce6b1772f8a46f7267739182a26964cd1389a46e616d65b74c6f76656c616365202620506172746e657273204c4c50a9757365725f7479706500a87661756c745f6964d92b673352464c4d595074655443304c6252345f535430477a447868766444534277333357785747373452573499cd07eacd015605030cce17e015d1000000', '2026-12-08 05:03:12.400561+00');


--
-- Name: fv_connection_audit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.fv_connection_audit_id_seq', 2, true);


--
-- Name: fv_webhook_inbox_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.fv_webhook_inbox_id_seq', 1, true);


--
-- Name: fv_alert_outbox fv_alert_outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_alert_outbox
    ADD CONSTRAINT fv_alert_outbox_pkey PRIMARY KEY (id);


--
-- Name: fv_connection_audit fv_connection_audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_connection_audit
    ADD CONSTRAINT fv_connection_audit_pkey PRIMARY KEY (id);


--
-- Name: fv_connection_health fv_connection_health_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_connection_health
    ADD CONSTRAINT fv_connection_health_pkey PRIMARY KEY (connection);


--
-- Name: fv_connections fv_connections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_connections
    ADD CONSTRAINT fv_connections_pkey PRIMARY KEY (name);


--
-- Name: fv_credential_expiry fv_credential_expiry_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_credential_expiry
    ADD CONSTRAINT fv_credential_expiry_pkey PRIMARY KEY (subject);


--
-- Name: fv_expiry_alerts fv_expiry_alerts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_expiry_alerts
    ADD CONSTRAINT fv_expiry_alerts_pkey PRIMARY KEY (subject, expires_on, threshold);


--
-- Name: fv_feed_keys fv_feed_keys_key_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_feed_keys
    ADD CONSTRAINT fv_feed_keys_key_hash_key UNIQUE (key_hash);


--
-- Name: fv_feed_keys fv_feed_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_feed_keys
    ADD CONSTRAINT fv_feed_keys_pkey PRIMARY KEY (id);


--
-- Name: fv_health_checks fv_health_checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_health_checks
    ADD CONSTRAINT fv_health_checks_pkey PRIMARY KEY (id);


--
-- Name: fv_integration fv_integration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_integration
    ADD CONSTRAINT fv_integration_pkey PRIMARY KEY (id);


--
-- Name: fv_live_subscriptions fv_live_subscriptions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_live_subscriptions
    ADD CONSTRAINT fv_live_subscriptions_pkey PRIMARY KEY (connection_id);


--
-- Name: fv_logout_jti fv_logout_jti_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_logout_jti
    ADD CONSTRAINT fv_logout_jti_pkey PRIMARY KEY (issuer, jti);


--
-- Name: fv_org_choice fv_org_choice_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_org_choice
    ADD CONSTRAINT fv_org_choice_pkey PRIMARY KEY (issuer, subject);


--
-- Name: fv_permits fv_permits_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_permits
    ADD CONSTRAINT fv_permits_pkey PRIMARY KEY (pool, slot);


--
-- Name: fv_phase_snapshots fv_phase_snapshots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_phase_snapshots
    ADD CONSTRAINT fv_phase_snapshots_pkey PRIMARY KEY (environment, org_id, taken_at, phase);


--
-- Name: fv_served_orgs fv_served_orgs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_served_orgs
    ADD CONSTRAINT fv_served_orgs_pkey PRIMARY KEY (environment, org_id);


--
-- Name: fv_session_index fv_session_index_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_session_index
    ADD CONSTRAINT fv_session_index_pkey PRIMARY KEY (stored_id);


--
-- Name: fv_snapshot_claims fv_snapshot_claims_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_snapshot_claims
    ADD CONSTRAINT fv_snapshot_claims_pkey PRIMARY KEY (connection);


--
-- Name: fv_snapshots fv_snapshots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_snapshots
    ADD CONSTRAINT fv_snapshots_pkey PRIMARY KEY (org_id, taken_at, phase);


--
-- Name: fv_token_vault fv_token_vault_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_token_vault
    ADD CONSTRAINT fv_token_vault_pkey PRIMARY KEY (id);


--
-- Name: fv_webhook_inbox fv_webhook_inbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fv_webhook_inbox
    ADD CONSTRAINT fv_webhook_inbox_pkey PRIMARY KEY (id);


--
-- Name: session session_pkey; Type: CONSTRAINT; Schema: tower_sessions; Owner: -
--

ALTER TABLE ONLY tower_sessions.session
    ADD CONSTRAINT session_pkey PRIMARY KEY (id);


--
-- Name: fv_health_checks_by_connection; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX fv_health_checks_by_connection ON public.fv_health_checks USING btree (connection, checked_at_ms);


--
-- Name: fv_session_index_sid; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX fv_session_index_sid ON public.fv_session_index USING btree (environment, sid);


--
-- Name: fv_session_index_subject; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX fv_session_index_subject ON public.fv_session_index USING btree (environment, subject);


--
-- Name: fv_webhook_inbox_body; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX fv_webhook_inbox_body ON public.fv_webhook_inbox USING btree (environment, org_id, body_hash, day);


--
-- Name: fv_webhook_inbox_jti; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX fv_webhook_inbox_jti ON public.fv_webhook_inbox USING btree (environment, jti) WHERE (jti IS NOT NULL);


--
-- Name: fv_webhook_inbox_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX fv_webhook_inbox_pending ON public.fv_webhook_inbox USING btree (outcome, id);


--
-- PostgreSQL database dump complete
--


