//! The admin API over real HTTP and a real SQLite database (shared/ADMIN_API.md; issue 7 §Admin
//! API and auth): lockout, must-change flow, CSRF guard, sessions, strict bodies, accounts and
//! their documents, keys, settings (also across a restart), IPs, logs, audit, ops endpoints.

use crate::common::admin::{TestServer, long_token};
use crate::common::server::{
    assert_error_mentions, code_error, field_error, get_text, into_json, ok, retry_after, strings,
};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn login_lockout_per_ip() {
    let s =
        TestServer::start("security:\n  login_max_failures: 3\n  login_lockout_secs: 120\n").await;
    for attempt in 1..=3 {
        let r = s.login_raw("guess").await;
        if attempt < 3 {
            assert_eq!(r.status(), 401, "attempt {attempt}");
            let (_, v) = into_json(r).await;
            assert_eq!(v["error"]["code"], "unauthorized");
        } else {
            assert_eq!(r.status(), 429);
            let retry: u64 = retry_after(&r);
            assert!((100..=120).contains(&retry), "{retry}");
            assert_eq!(into_json(r).await.1["error"]["code"], "locked_out");
        }
    }
    // Even the right password is refused while locked out.
    let r = s.login_raw("admin").await;
    assert_eq!(r.status(), 429);
    s.stop().await;
}

#[tokio::test]
async fn must_change_password_flow() {
    let s = TestServer::start("").await;
    let r = s.login_raw("admin").await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["must_change_password"], true);
    assert!(v["expires_at"].is_string());
    let token = v["token"].as_str().unwrap().to_string();
    let other = s.login().await;
    let (_, sys) = s.get(&token, "/v2/system").await;
    assert_eq!(sys["must_change_password"], true);
    assert_eq!(sys["database_type"], "sqlite");
    assert!(sys["version"].is_string() && sys["data_dir"].is_string());

    // Wrong old password, too short / default new password → 400 naming the field.
    let bad_old = json!({"old_password": "nope", "new_password": "long-enough-1"});
    assert_eq!(
        field_error(s.post(&token, "/v2/password", bad_old).await),
        (400, json!("old_password"))
    );
    let short = json!({"old_password": "admin", "new_password": "short"});
    assert_eq!(
        field_error(s.post(&token, "/v2/password", short).await),
        (400, json!("new_password"))
    );

    let good = json!({"old_password": "admin", "new_password": "correct-horse-9"});
    let v = ok(s.post(&token, "/v2/password", good).await);
    assert_eq!(v["must_change_password"], false);
    // The changing session survives; the other one was revoked.
    assert_eq!(
        s.get(&token, "/v2/system").await.1["must_change_password"],
        false
    );
    assert_eq!(s.get(&other, "/v2/system").await.0, 401);
    // The seed password no longer works; the new one does and is not flagged.
    let r = s.login_raw("admin").await;
    assert_eq!(r.status(), 401);
    let r = s.login_raw("correct-horse-9").await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["must_change_password"],
        false
    );
    // Logout revokes the session.
    assert_eq!(
        s.call(&token, Method::POST, "/v2/logout", None).await.0,
        200
    );
    assert_eq!(s.get(&token, "/v2/system").await.0, 401);
    s.stop().await;
}

#[tokio::test]
async fn csrf_guard_for_cookie_sessions() {
    let (s, token) = TestServer::signed_in("").await;
    let cookie = format!("claude_api_session={token}");
    let body = json!({"name": "via-cookie"});
    // Cookie + state change without X-Requested-With → 403.
    let r = s
        .client
        .post(s.url("/v2/keys"))
        .header("cookie", &cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, v) = into_json(r).await;
    assert_eq!(status, 403);
    assert_eq!(v["error"]["code"], "csrf_required");
    // Reads with the cookie are fine.
    let r = s
        .client
        .get(s.url("/v2/keys"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // With the header the write goes through.
    let r = s
        .client
        .post(s.url("/v2/keys"))
        .header("cookie", &cookie)
        .header("x-requested-with", "XMLHttpRequest")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Bearer tokens are not ambient credentials: no header needed.
    let r = s
        .admin(&token, Method::POST, "/v2/keys")
        .json(&json!({"name": "via-bearer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // No credentials at all → 401; garbage token → 401.
    assert_eq!(
        s.client
            .get(s.url("/v2/keys"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(s.get("garbage", "/v2/keys").await.0, 401);
    s.stop().await;
}

#[tokio::test]
async fn strict_bodies_name_the_field() {
    let (s, token) = TestServer::signed_in("").await;
    let (status, v) = s
        .post(&token, "/v2/keys", json!({"name": "k", "rpmm": 3}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["field"], "rpmm");
    assert!(v["error"]["message"].as_str().unwrap().contains("rpmm"));
    assert_eq!(
        field_error(
            s.put(&token, "/v2/settings", json!({"bogusSetting": 1}))
                .await
        ),
        (400, json!("bogusSetting"))
    );
    assert_eq!(
        field_error(
            s.put(&token, "/v2/settings", json!({"ipRateLimitMax": "lots"}))
                .await
        ),
        (400, json!("ipRateLimitMax"))
    );
    assert_eq!(
        field_error(s.put(&token, "/v2/settings", json!({"debugLog": 1})).await),
        (400, json!("debugLog"))
    );
    let acct = json!({"auth_method": "social", "refresh_token": "r", "colour": "red"});
    assert_eq!(
        field_error(s.post(&token, "/v2/accounts", acct).await),
        (400, json!("colour"))
    );
    assert_eq!(
        code_error(s.get(&token, "/v2/nothing-here").await),
        (404, json!("not_found"))
    );
    s.stop().await;
}

#[tokio::test]
async fn settings_defaults_write_only_password_and_restart() {
    let (s, token) = TestServer::signed_in("").await;
    let v = ok(s.get(&token, "/v2/settings").await);
    assert_eq!(
        v,
        json!({"apiKey": "", "debugLog": false, "enableRequestLog": true, "logRetentionDays": 30,
        "enableIPRateLimit": false, "ipRateLimitWindow": 1, "ipRateLimitMax": 100})
    );
    let change = json!({"enableIPRateLimit": true, "ipRateLimitMax": 7, "logRetentionDays": 5,
        "adminPassword": "brand-new-pass"});
    let v = ok(s.put(&token, "/v2/settings", change).await);
    assert!(v.get("adminPassword").is_none(), "write-only: {v}");
    assert_eq!(v["ipRateLimitMax"], 7);

    // Restart on the same data folder: settings and password persist.
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, "").await;
    let r = s.login_raw("admin").await;
    assert_eq!(r.status(), 401);
    let token = s.login_with("brand-new-pass").await;
    let (_, v) = s.get(&token, "/v2/settings").await;
    assert_eq!(v["enableIPRateLimit"], true);
    assert_eq!(v["ipRateLimitMax"], 7);
    assert_eq!(v["logRetentionDays"], 5);
    assert_eq!(
        s.get(&token, "/v2/system").await.1["must_change_password"],
        false
    );
    s.stop().await;
}

#[tokio::test]
async fn accounts_crud_documents_and_upstream_unavailable() {
    let (s, token) = TestServer::signed_in("").await;
    let new = json!({"label": "one", "auth_method": "builder_id", "client_id": "cid", "client_secret": "csecret",
        "refresh_token": "refresh-secret-1", "region": "us-east-1"});
    let (status, a) = s.post(&token, "/v2/accounts", new).await;
    assert_eq!(status, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["status"], "active");
    assert_eq!(a["inflight"], 0);
    assert!(!a.to_string().contains("refresh-secret-1") && !a.to_string().contains("csecret"));
    // builder_id without a client registration is refused, naming the field.
    let bad = json!({"auth_method": "builder_id", "refresh_token": "r"});
    assert_eq!(
        field_error(s.post(&token, "/v2/accounts", bad).await),
        (400, json!("client_id"))
    );

    let v = ok(s
        .patch(
            &token,
            &format!("/v2/accounts/{id}"),
            json!({"label": "renamed", "weight": 3}),
        )
        .await);
    assert_eq!(
        (v["label"].clone(), v["weight"].clone()),
        (json!("renamed"), json!(3))
    );
    let (_, list) = s.get(&token, "/v2/accounts?q=renamed").await;
    assert_eq!(list["accounts"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains("refresh-secret-1"));

    // Upstream operations answer 503 when the upstream cannot be reached (a closed loopback port).
    for op in ["refresh", "usage"] {
        assert_eq!(
            code_error(
                s.call(
                    &token,
                    Method::POST,
                    &format!("/v2/accounts/{id}/{op}"),
                    None,
                )
                .await
            ),
            (503, json!("upstream_unavailable"))
        );
    }
    let (status, _) = s
        .call(&token, Method::POST, "/v2/accounts/missing/refresh", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        code_error(s.post(&token, "/v2/auth/start", json!({})).await),
        (503, json!("upstream_unavailable"))
    );

    // Feed: stored at once, per-entry rejections.
    let feed = json!({"accounts": [
        {"auth_method": "social", "refresh_token": "feed-1"},
        {"auth_method": "social"},
        {"auth_method": "idc", "refresh_token": "feed-3", "client_id": "c", "client_secret": "s", "start_url": "https://x.awsapps.com/start"}
    ]});
    let v = ok(s.post(&token, "/v2/accounts/feed", feed).await);
    assert_eq!(v["created"].as_array().unwrap().len(), 2);
    assert_eq!(v["rejected"][0]["index"], 1);

    // Import: Kiro token file and Amazon Q CLI pair.
    let kiro = json!({"accessToken": "at", "refreshToken": long_token("kiro"), "expiresAt": "2030-01-01T00:00:00Z",
        "authMethod": "social", "provider": "Github", "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/X"});
    let (status, v) = s.post(&token, "/v2/accounts/import", kiro).await;
    assert_eq!(
        (status, v["created"].as_array().unwrap().len()),
        (200, 1),
        "{v}"
    );
    let truncated = json!({"refreshToken": "aorAAAA...xyz", "authMethod": "social"});
    let (_, v) = s.post(&token, "/v2/accounts/import", truncated).await;
    assert_eq!(v["rejected"].as_array().unwrap().len(), 1);
    let qcli = json!({
        "codewhisperer:odic:token": json!({"access_token": "a", "refresh_token": "qcli-refresh", "region": "us-east-1",
            "start_url": "https://view.awsapps.com/start", "expires_at": "2030-01-01T00:00:00Z"}).to_string(),
        "codewhisperer:odic:device-registration": {"client_id": "qc", "client_secret": "qs", "region": "us-east-1"}
    });
    let (_, v) = s.post(&token, "/v2/accounts/import", qcli).await;
    assert_eq!(v["created"].as_array().unwrap().len(), 1, "{v}");
    let (status, _) = s
        .post(&token, "/v2/accounts/import", json!({"what": 1}))
        .await;
    assert_eq!(status, 400);

    // Export includes secrets; re-importing it into a fresh server restores every account.
    let (status, export) = s.get(&token, "/v2/accounts/export").await;
    assert_eq!(status, 200);
    assert_eq!(export["format"], "claude-api-accounts");
    assert_eq!(export["accounts"].as_array().unwrap().len(), 5);
    assert!(
        export.to_string().contains("refresh-secret-1") && export.to_string().contains("csecret")
    );
    let other = TestServer::start("").await;
    let t2 = other.login().await;
    let (_, v) = other.post(&t2, "/v2/accounts/import", export.clone()).await;
    assert_eq!(v["created"].as_array().unwrap().len(), 5, "{v}");
    let (_, again) = other.get(&t2, "/v2/accounts/export").await;
    assert_eq!(again["accounts"], export["accounts"]);
    other.stop().await;

    ok(s.delete(&token, &format!("/v2/accounts/{id}")).await);
    assert_eq!(s.get(&token, &format!("/v2/accounts/{id}")).await.0, 404);
    assert_eq!(s.delete(&token, &format!("/v2/accounts/{id}")).await.0, 404);
    s.stop().await;
}

/// A kiro-cli `data.sqlite3` holding `kv` in `auth_kv` and the chosen profile in `state`.
async fn kiro_cli_db(kv: &[(&str, Value)], profile_arn: &str) -> Vec<u8> {
    use sea_orm::{ConnectionTrait as _, Database, DbBackend, Statement};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.sqlite3");
    let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display()).as_str())
        .await
        .unwrap();
    let mut sql = vec![
        "CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT)".to_owned(),
        "CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB)".to_owned(),
        format!(
            "INSERT INTO state VALUES ('api.codewhisperer.profile', '{}')",
            json!({"arn": profile_arn, "profile_name": "chosen"})
        ),
    ];
    for (k, v) in kv {
        sql.push(format!("INSERT INTO auth_kv VALUES ('{k}', '{v}')"));
    }
    for q in sql {
        db.execute_raw(Statement::from_string(DbBackend::Sqlite, q))
            .await
            .unwrap();
    }
    db.close().await.unwrap();
    std::fs::read(&path).unwrap()
}

#[tokio::test]
async fn kiro_cli_token_store_imports_with_its_chosen_profile() {
    let (s, token) = TestServer::signed_in("").await;
    let arn = "arn:aws:codewhisperer:eu-central-1:123456789012:profile/CHOSEN";
    let social = json!({"access_token": "at", "refresh_token": long_token("kiro-cli"),
        "region": "us-east-1", "expires_at": "2030-01-01T00:00:00.123456789Z"});
    let db = kiro_cli_db(&[("kirocli:social:token", social)], arn).await;
    let r = s
        .admin(&token, Method::POST, "/v2/accounts/import")
        .header("content-type", "application/vnd.sqlite3")
        .body(db)
        .send()
        .await
        .unwrap();
    let (status, v) = into_json(r).await;
    assert_eq!(status, 200, "{v}");
    let id = v["created"][0].as_str().unwrap().to_owned();
    let (_, a) = s.get(&token, &format!("/v2/accounts/{id}")).await;
    assert_eq!(
        (
            &a["auth_method"],
            &a["profile_arn"],
            &a["api_region"],
            &a["region"]
        ),
        (
            &json!("social"),
            &json!(arn),
            &json!("eu-central-1"),
            &json!("us-east-1")
        ),
        "{a}"
    );

    // The same rows as `sqlite3 -json` prints them, for an Identity Center sign-in.
    let rows = json!({
        "auth_kv": [
            {"key": "kirocli:odic:token", "value": json!({"refresh_token": long_token("idc"),
                "region": "us-east-1", "start_url": "https://d-1.awsapps.com/start"}).to_string()},
            {"key": "kirocli:odic:device-registration", "value": json!({"client_id": "c",
                "client_secret": "s"}).to_string()}
        ],
        "state": [{"key": "api.codewhisperer.profile", "value": json!({"arn": arn}).to_string()}]
    });
    let v = ok(s.post(&token, "/v2/accounts/import", rows).await);
    let id = v["created"][0].as_str().unwrap().to_owned();
    let (_, a) = s.get(&token, &format!("/v2/accounts/{id}")).await;
    assert_eq!(
        (&a["auth_method"], &a["profile_arn"]),
        (&json!("idc"), &json!(arn)),
        "{a}"
    );

    // A store without a sign-in is rejected by name; a file that is no database is a 400.
    let empty = kiro_cli_db(&[], arn).await;
    let (status, v) = into_json(
        s.admin(&token, Method::POST, "/v2/accounts/import")
            .body(empty)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let error = v["rejected"][0]["error"].as_str().unwrap();
    assert!(error.contains("holds no sign-in"), "{v}");
    let (status, v) = into_json(
        s.admin(&token, Method::POST, "/v2/accounts/import")
            .body(b"SQLite format 3\0garbage".to_vec())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert_error_mentions(&v, "not a kiro-cli database");
}

#[tokio::test]
async fn keys_secret_shown_once() {
    let (s, token, (id, secret)) = TestServer::start_with_key(
        "",
        json!({"name": "ci", "rpm": 10, "models": ["claude-sonnet-4.5"]}),
    )
    .await;
    assert!(secret.starts_with("sk-"));
    let (_, list) = s.get(&token, "/v2/keys").await;
    assert!(
        !list.to_string().contains(&secret),
        "secret must not be listed again"
    );
    let key = &list["keys"][0];
    assert_eq!(
        (key["id"].as_str(), key["rpm"].clone()),
        (Some(id.as_str()), json!(10))
    );
    let v = ok(s
        .patch(&token, &format!("/v2/keys/{id}"), json!({"rpm": null}))
        .await);
    assert!(v["rpm"].is_null());
    assert_eq!(
        s.patch(&token, "/v2/keys/nope", json!({"enabled": false}))
            .await
            .0,
        404
    );
    s.stop().await;
}

#[tokio::test]
async fn logs_endpoints_and_ops() {
    let (s, token) = TestServer::signed_in("").await;
    let v = ok(s.get(&token, "/v2/logs?status=error&page=1").await);
    assert_eq!(v["total"], 0);
    let v = ok(s.get(&token, "/v2/logs/stats?range=7d").await);
    assert_eq!(v["total"], 0);
    assert_eq!(s.get(&token, "/v2/logs/stats?range=forever").await.0, 400);
    assert_eq!(s.get(&token, "/v2/logs/12345").await.0, 404);
    let (status, v) = s
        .post(&token, "/v2/logs/cleanup", json!({"older_than_days": 0}))
        .await;
    assert_eq!((status, v["deleted"].clone()), (200, json!(0)));

    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    let m = s.get_text("/metrics").await;
    assert!(m.contains("gateway_http_requests_total"), "{m}");
    // The console (or its placeholder) answers deep links with the same document as /.
    let root = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(root.status(), 200);
    let root = root.text().await.unwrap();
    assert!(root.contains("<html") || root.contains("<!doctype") || root.contains("<!DOCTYPE"));
    let deep = s.get_text("/accounts").await;
    assert_eq!(root, deep);
    s.stop().await;
}

#[tokio::test]
async fn every_admin_action_is_audited() {
    let (s, token, (kid, _)) = TestServer::start_with_key("", json!({"name": "k"})).await;
    s.patch(
        &token,
        &format!("/v2/keys/{kid}"),
        json!({"enabled": false}),
    )
    .await;
    s.get(&token, "/v2/keys").await;
    s.delete(&token, &format!("/v2/keys/{kid}")).await;
    s.put(&token, "/v2/settings", json!({"debugLog": true}))
        .await;
    s.post(&token, "/v2/ips/block", json!({"ip": "192.0.2.0/24"}))
        .await;
    s.post(&token, "/v2/ips/unblock", json!({"ip": "192.0.2.0/24"}))
        .await;
    let (_, a) = s
        .post(
            &token,
            "/v2/accounts",
            json!({"auth_method": "social", "refresh_token": "r"}),
        )
        .await;
    let aid = a["id"].as_str().unwrap().to_string();
    s.patch(
        &token,
        &format!("/v2/accounts/{aid}"),
        json!({"enabled": false}),
    )
    .await;
    s.post(&token, "/v2/accounts/feed", json!({"accounts": []}))
        .await;
    s.post(&token, "/v2/accounts/import", json!([])).await;
    s.get(&token, "/v2/accounts/export").await;
    s.call(
        &token,
        Method::POST,
        &format!("/v2/accounts/{aid}/refresh"),
        None,
    )
    .await;
    s.delete(&token, &format!("/v2/accounts/{aid}")).await;
    s.post(&token, "/v2/logs/cleanup", json!({"older_than_days": 30}))
        .await;
    s.post(
        &token,
        "/v2/password",
        json!({"old_password": "admin", "new_password": "another-pass-1"}),
    )
    .await;
    s.login_raw("wrong").await;
    s.call(&token, Method::POST, "/v2/logout", None).await;

    let t2 = s.login_with("another-pass-1").await;
    let v = ok(s.get(&t2, "/v2/audit?per_page=100").await);
    let entries = v["entries"].as_array().unwrap();
    let actions = strings(&v["entries"], "action");
    for expected in [
        "login",
        "keys.create",
        "keys.update",
        "keys.delete",
        "settings.update",
        "ips.block",
        "ips.unblock",
        "accounts.create",
        "accounts.update",
        "accounts.feed",
        "accounts.import",
        "accounts.export",
        "accounts.refresh",
        "accounts.delete",
        "logs.cleanup",
        "password.change",
        "logout",
    ] {
        assert!(
            actions.contains(&expected),
            "missing {expected} in {actions:?}"
        );
    }
    // Reads are not audited (except the export).
    assert!(!actions.contains(&"keys.read"), "{actions:?}");
    let del = entries
        .iter()
        .find(|e| e["action"] == "keys.delete")
        .unwrap();
    assert_eq!(del["target"], kid.as_str());
    assert_eq!(del["ip"], "127.0.0.1");
    assert!(del["actor"].as_str().unwrap().starts_with("admin#"));
    let failed = entries
        .iter()
        .find(|e| e["action"] == "login" && e["detail"]["status"] == 401)
        .unwrap();
    assert_eq!(failed["actor"], "anonymous");
    let refresh = entries
        .iter()
        .find(|e| e["action"] == "accounts.refresh")
        .unwrap();
    assert_eq!(refresh["detail"]["status"], 503);
    s.stop().await;
}

/// Opens a second connection to a running server's SQLite database (WAL allows it).
async fn side_store(s: &TestServer) -> store::Store {
    let cipher = store::Cipher::load_or_generate(&s.dir.path().join("encryption.key"))
        .unwrap()
        .0;
    let url = format!(
        "sqlite://{}?mode=rwc",
        s.dir.path().join("data.sqlite3").display()
    );
    store::Store::connect(store::StoreConfig::new(url, cipher))
        .await
        .unwrap()
}

fn row(
    at: chrono::DateTime<chrono::Utc>,
    model: &str,
    status: u16,
    duration_ms: u64,
) -> store::NewRequestLog {
    store::NewRequestLog {
        at,
        client_ip: "198.51.100.1".into(),
        model_requested: model.into(),
        model_used: Some(model.into()),
        dialect: "openai".into(),
        status,
        tokens: store::TokenUsage {
            input_tokens: 10,
            output_tokens: 5,
        },
        duration_ms,
        ..store::NewRequestLog::default()
    }
}

#[tokio::test]
async fn logs_list_stats_and_cleanup_against_inserted_rows() {
    let (s, token) = TestServer::signed_in("").await;
    let side = side_store(&s).await;
    let now = chrono::Utc::now();
    let mut rows = Vec::new();
    for i in 0..8u64 {
        rows.push(row(
            now - chrono::Duration::minutes(i64::try_from(i).unwrap() + 1),
            "claude-sonnet-4.5",
            200,
            100 * (i + 1),
        ));
    }
    rows.push(row(
        now - chrono::Duration::minutes(30),
        "claude-4.5-opus-high",
        429,
        50,
    ));
    rows.push(row(
        now - chrono::Duration::days(40),
        "claude-sonnet-4.5",
        200,
        10,
    ));
    assert_eq!(side.insert_logs_batch(&rows).await.unwrap(), 10);

    let (_, v) = s.get(&token, "/v2/logs?per_page=5").await;
    assert_eq!(v["total"], 10);
    assert_eq!(v["logs"].as_array().unwrap().len(), 5);
    let (_, v) = s.get(&token, "/v2/logs?status=error").await;
    assert_eq!(v["total"], 1);
    let id = v["logs"][0]["id"].as_i64().unwrap();
    let (status, one) = s.get(&token, &format!("/v2/logs/{id}")).await;
    assert_eq!((status, one["status"].clone()), (200, json!(429)));
    let (_, v) = s.get(&token, "/v2/logs?model=claude-4.5-opus-high").await;
    assert_eq!(v["total"], 1);

    let (_, st) = s.get(&token, "/v2/logs/stats?range=24h").await;
    assert_eq!(st["total"], 9, "{st}");
    assert_eq!(st["errors"], 1);
    assert_eq!(st["input_tokens"], 90);
    assert_eq!(st["output_tokens"], 45);
    let (_, st30) = s.get(&token, "/v2/logs/stats?range=30d").await;
    assert_eq!(st30["total"], 9);

    // Cleanup of rows older than 30 days removes exactly the old one.
    let (_, v) = s
        .post(&token, "/v2/logs/cleanup", json!({"older_than_days": 30}))
        .await;
    assert_eq!(v["deleted"], 1);
    let (_, v) = s.get(&token, "/v2/logs").await;
    assert_eq!(v["total"], 9);
    side.close().await.unwrap();
    s.stop().await;
}

/// Runs `claude-server args`; it must exit successfully (stderr is the failure message).
fn claude_server_ok(args: &[&str]) -> std::process::Output {
    let out = claude_server(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn claude_server(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_claude-server"))
        .args(args)
        .env("NO_BROWSER", "1")
        .env_remove("DATA_DIR")
        .env_remove("DATABASE_URL")
        .env_remove("PORT")
        .output()
        .unwrap()
}

#[test]
fn binary_config_errors_name_the_key_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "server:\n  prot: 1\n").unwrap();
    let out = claude_server(&["--config", cfg.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.prot"), "{err}");
    std::fs::write(&cfg, "database:\n  mysql:\n    port: high\n").unwrap();
    let out = claude_server(&["--config", cfg.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.mysql.port"));
    let out = claude_server(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(gateway::VERSION));
}

#[test]
fn binary_accounts_import_export_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let data = dir.path().join("data");
    std::fs::write(&cfg, format!("data_dir: {}\n", data.display())).unwrap();
    let cfg = cfg.to_str().unwrap();
    let input = dir.path().join("in.json");
    let doc = json!([
        {"auth_method": "social", "refresh_token": "cli-refresh-1", "label": "a"},
        {"auth_method": "builder_id", "refresh_token": "cli-refresh-2"}
    ]);
    std::fs::write(&input, doc.to_string()).unwrap();
    let out = claude_server_ok(&[
        "--config",
        cfg,
        "accounts",
        "import",
        input.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("imported 1 account(s), rejected 1"), "{err}");
    let export = dir.path().join("out.json");
    claude_server_ok(&[
        "--config",
        cfg,
        "accounts",
        "export",
        export.to_str().unwrap(),
    ]);
    let exported: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    assert_eq!(exported["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(exported["accounts"][0]["refresh_token"], "cli-refresh-1");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&export).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let backup = dir.path().join("backup.sqlite3");
    claude_server_ok(&["--config", cfg, "backup", "--to", backup.to_str().unwrap()]);
    // The backup is a complete database: importing the export into a server on it finds the id.
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(&backup, copy.join("data.sqlite3")).unwrap();
    std::fs::copy(data.join("encryption.key"), copy.join("encryption.key")).unwrap();
    let cfg2 = dir.path().join("config2.yaml");
    std::fs::write(&cfg2, format!("data_dir: {}\n", copy.display())).unwrap();
    let export2 = dir.path().join("out2.json");
    claude_server_ok(&[
        "--config",
        cfg2.to_str().unwrap(),
        "accounts",
        "export",
        export2.to_str().unwrap(),
    ]);
    let exported2: Value = serde_json::from_slice(&std::fs::read(&export2).unwrap()).unwrap();
    assert_eq!(exported2["accounts"], exported["accounts"]);
}

#[tokio::test]
async fn metrics_on_a_separate_listener() {
    // Reserve a free loopback port, release it, and hand it to the config.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = TestServer::start(&format!("metrics:\n  listen: 127.0.0.1:{port}\n")).await;
    s.client.get(s.url("/healthz")).send().await.unwrap();
    let text = get_text(&s.client, &format!("http://127.0.0.1:{port}/metrics")).await;
    assert!(text.contains("gateway_http_requests_total"), "{text}");
    // Only /metrics lives there.
    let other = s
        .client
        .get(format!("http://127.0.0.1:{port}/v2/system"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    s.stop().await;
}

#[tokio::test]
async fn session_cookie_is_secure_only_behind_a_trusted_https_proxy() {
    let s = TestServer::start("security:\n  trusted_proxies: [\"127.0.0.1\"]\n").await;
    let login = |proto: &'static str| {
        s.client
            .post(s.url("/v2/login"))
            .header("x-forwarded-proto", proto)
            .json(&json!({"password": "admin"}))
            .send()
    };
    let https = login("https").await.unwrap();
    assert!(set_cookie(&https).contains("; Secure"));
    let http = login("http").await.unwrap();
    assert!(!set_cookie(&http).contains("Secure"));
    s.stop().await;
    // From an untrusted peer the header means nothing.
    let s = TestServer::start("").await;
    let r = s
        .client
        .post(s.url("/v2/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"password": "admin"}))
        .send()
        .await
        .unwrap();
    assert!(!set_cookie(&r).contains("Secure"));
    s.stop().await;
}

/// The `set-cookie` header of a login answer.
fn set_cookie(r: &reqwest::Response) -> &str {
    r.headers()["set-cookie"].to_str().unwrap()
}
