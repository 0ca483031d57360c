//! The console in a real headless Chromium, driven over WebDriver (chromedriver): what an
//! operator does every day, in both languages. Each test saves a screenshot under
//! `target/browser-screenshots/`.
//!
//! Needs `GUANXI_TEST_CHROMEDRIVER` (a chromedriver binary) and `GUANXI_TEST_CHROMIUM` (the
//! browser); `.ci/run` installs Debian's `chromium` and `chromium-driver` and sets both. Without
//! them each test says why it is skipped and passes.

use crate::helpers::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// A headless Chromium session with the chromedriver that runs it; both end with the value.
struct Chromium {
    client: Client,
    _driver: tokio::process::Child,
    base: String,
    /// The browser's own profile folder; its path also names the browser's processes.
    profile: tempfile::TempDir,
}

/// Marks the browsers these tests start, so nothing outlives a failed test (`.ci/run` looks
/// for it too).
const PROFILE_PREFIX: &str = "guanxi-browser-test-";

impl Drop for Chromium {
    /// A test that panics never reaches `close`: end its browser here, by its profile path.
    fn drop(&mut self) {
        let _ = std::process::Command::new("pkill")
            .args(["-f", &self.profile.path().display().to_string()])
            .status();
    }
}

/// Paths to chromedriver and Chromium, or why the browser suite is skipped.
fn browser_paths() -> Result<(String, String), String> {
    let driver = std::env::var("GUANXI_TEST_CHROMEDRIVER")
        .map_err(|_| "GUANXI_TEST_CHROMEDRIVER is not set".to_owned())?;
    let chromium = std::env::var("GUANXI_TEST_CHROMIUM")
        .map_err(|_| "GUANXI_TEST_CHROMIUM is not set".to_owned())?;
    for path in [&driver, &chromium] {
        if !std::path::Path::new(path).exists() {
            return Err(format!("{path} does not exist"));
        }
    }
    Ok((driver, chromium))
}

impl Chromium {
    /// Starts chromedriver on a free port and opens a headless window on `app`; `None` (with
    /// the reason printed) when the machine has no browser.
    async fn open(app: &TestApp, test: &str) -> Option<Self> {
        let (driver, chromium) = match browser_paths() {
            Ok(paths) => paths,
            Err(why) => {
                eprintln!("SKIPPED browser test {test}: {why}");
                return None;
            }
        };
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("addr").port()
        };
        let child = tokio::process::Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::Builder::new()
            .prefix(PROFILE_PREFIX)
            .tempdir()
            .expect("profile folder");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen: poll with a deadline.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver did not start a session: {e}"),
            }
        };
        Some(Self {
            client,
            _driver: child,
            base: app.url(""),
            profile,
        })
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks something that loads a new page, and waits until the old one is gone (its
    /// elements go stale), so what follows reads the new page.
    async fn click_and_load(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        self.click(css).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while old.tag_name().await.is_ok() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "clicking {css} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Chooses the file at `path` in a file input.
    async fn attach(&self, css: &str, path: &std::path::Path) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .send_keys(path.to_str().expect("a UTF-8 path"))
            .await
            .expect("choose the file");
    }

    async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click_and_load("#sign-in").await;
        self.text("#current-user").await;
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("save screenshot");
    }

    async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_signs_in_switches_language_and_finds_a_customer() {
    let app = TestApp::spawn().await;
    let id = app.contactable_customer("李娜").await;
    // A fortnight of orders, so the dashboard's chart has something to draw.
    for day in 0..14_i64 {
        let at = chrono::Utc::now() - chrono::Duration::days(day);
        let (status, body) = app
            .post(
                "/api/v1/orders",
                &json!({"source": "api", "external_id": format!("o-{day}"), "status": "paid",
                        "currency": "CNY", "total": format!("{}.00", 50 + day * 17 % 90),
                        "created_at": at.to_rfc3339(),
                        "customer": {"email": format!("buyer{}@example.com", day % 5)}, "items": []}),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }
    app.staff("owner@shop.cn", "owner").await;
    let Some(browser) = Chromium::open(&app, "sign_in_and_search").await else {
        return;
    };
    browser.sign_in("owner@shop.cn", "owner-password-1").await;
    assert!(
        browser.text("h1").await.contains("欢迎"),
        "Chinese by default"
    );
    assert!(
        browser.has("#periods").await,
        "the dashboard offers periods"
    );
    browser.screenshot("dashboard-zh").await;
    browser.click_and_load("#switch-language").await;
    assert!(browser.text("h1").await.contains("Welcome"), "now English");

    browser.goto("/customers").await;
    browser.fill("#customer-search", "13812345678").await;
    browser.click_and_load("form.search button").await;
    let row = browser.text("#customer-table tbody tr").await;
    assert!(row.contains("138****5678"), "masked in the list: {row}");
    browser.click_and_load(".customer-link").await;
    assert_eq!(browser.text("#customer-phone").await, "138****5678");
    assert!(browser.text("h1").await.contains("李*"));
    browser.screenshot("customer-360-en").await;
    let url = browser.client.current_url().await.expect("url");
    assert!(url.path().ends_with(&format!("/customers/{id}")));
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_reveals_a_phone_an_analyst_cannot_and_the_owner_reads_the_audit() {
    let app = TestApp::spawn().await;
    let id = app.contactable_customer("李娜").await;
    app.staff("agent@shop.cn", "service_agent").await;
    app.staff("analyst@shop.cn", "analyst").await;
    app.staff("owner@shop.cn", "owner").await;
    let Some(browser) = Chromium::open(&app, "reveal_and_audit").await else {
        return;
    };

    browser
        .sign_in("agent@shop.cn", "service_agent-password-1")
        .await;
    browser.goto(&format!("/customers/{id}")).await;
    assert_eq!(browser.text("#customer-phone").await, "138****5678");
    browser.fill("#reveal-reason", "客户来电核实地址").await;
    browser.click_and_load("#reveal").await;
    assert_eq!(browser.text("#customer-phone").await, "+8613812345678");
    browser.text("#revealed-note").await;
    browser.screenshot("agent-revealed-phone").await;
    browser.click_and_load("#sign-out").await;

    browser
        .sign_in("analyst@shop.cn", "analyst-password-1")
        .await;
    browser.goto(&format!("/customers/{id}")).await;
    assert_eq!(browser.text("#customer-phone").await, "138****5678");
    assert!(!browser.has("#reveal").await, "no reveal for an analyst");
    // Even a hand-made form is refused by the server: point the page's language form (which
    // carries this session's token) at the reveal and press its button.
    browser
        .client
        .execute(
            "const f = document.querySelector('#switch-language').form; f.action = arguments[0];\
             const reason = document.createElement('input'); reason.name = 'reason';\
             reason.value = 'curious'; f.appendChild(reason);",
            vec![json!(format!("/customers/{id}/reveal"))],
        )
        .await
        .expect("rewire the form");
    browser.click_and_load("#switch-language").await;
    let refusal = browser.text("#message").await;
    assert!(refusal.contains("没有执行此操作的权限"), "{refusal}");
    browser.screenshot("analyst-refused").await;
    browser.goto("/customers").await;
    browser.click_and_load("#sign-out").await;

    browser.sign_in("owner@shop.cn", "owner-password-1").await;
    browser.goto("/audit").await;
    let table = browser.text("#audit-table").await;
    assert!(
        table.contains("agent@shop.cn") && table.contains("查看个人信息明文"),
        "{table}"
    );
    assert!(table.contains("客户来电核实地址"), "the reason is recorded");
    assert!(!table.contains("13812345678"), "the value is not");
    browser.screenshot("owner-audit-log").await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketer_uploads_a_taobao_export_and_watches_it_finish() {
    let app = TestApp::spawn().await;
    app.staff("marketer@shop.cn", "marketer").await;
    guanxi_app::keys::create_source(app.store.as_ref(), "tmall", "taobao")
        .await
        .expect("the shop's Tmall source");
    let Some(browser) = Chromium::open(&app, "upload_an_import").await else {
        return;
    };
    browser
        .sign_in("marketer@shop.cn", "marketer-password-1")
        .await;
    browser.click_and_load("a[href='/imports']").await;
    assert!(browser.text("h1").await.contains("数据导入"));
    let export = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/identity_story_taobao_gbk.csv");
    browser.attach("#import-file", &export).await;
    browser.fill("#import-source", "tmall").await;
    browser.click_and_load("#import-submit").await;
    // The page refreshes itself while the import runs; wait for it to say it is done.
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#import-summary[data-status='done']"))
        .await
        .expect("the import finishes");
    assert_eq!(browser.text("#import-status").await, "已完成");
    let imported: i64 = browser
        .text("#rows-imported")
        .await
        .parse()
        .expect("a number");
    assert!(imported > 0, "orders were imported");
    browser.screenshot("import-done").await;
    browser.goto("/imports").await;
    let list = browser.text("#imports-table").await;
    assert!(list.contains("identity_story_taobao_gbk.csv"), "{list}");
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketer_launches_a_campaign_and_starts_a_journey() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "li@example.com", "88.00", 3).await;
    let li = app.customer_by("email:li@example.com").await["id"]
        .as_i64()
        .expect("id");
    crate::messaging::subscribe(&app, li, "in_app").await;
    crate::messaging::segment_of(&app, "buyers", "orders >= 1", 1).await;
    for (key, channel, parts) in [
        (
            "news",
            "in_app",
            json!({"zh-CN": {"text": "{{ first_name }}，新品上市"}, "en": {"text": "Hi {{ first_name }}, new arrivals"}}),
        ),
        (
            "cart_reminder",
            "email",
            json!({"zh-CN": {"subject": "购物车", "text": "还在等您"}}),
        ),
        (
            "cart_coupon",
            "sms",
            json!({"zh-CN": {"text": "优惠券 {{ code }}"}}),
        ),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/templates",
                &json!({"key": key, "name": key, "channel": channel,
                    "content": {"languages": parts, "defaults": {"first_name": "friend", "code": "SPRING"}}}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    }
    app.staff("mia@shop.cn", "marketer").await;
    let Some(browser) = Chromium::open(&app, "campaign_and_journey").await else {
        return;
    };
    browser.sign_in("mia@shop.cn", "marketer-password-1").await;
    browser.click_and_load("#switch-language").await;

    browser.goto("/campaigns").await;
    browser.fill("#campaign-name", "Spring launch").await;
    browser
        .click("#campaign-channel option[value=in_app]")
        .await;
    browser.fill("#campaign-segments", "buyers").await;
    browser.fill("#campaign-template-a", "news").await;
    browser.click_and_load("#create-campaign").await;
    let preview = browser.text("#campaign-preview").await;
    assert!(preview.contains("Hi friend, new arrivals"), "{preview}");
    assert!(preview.contains("friend，新品上市"), "{preview}");
    browser.click_and_load("#launch-campaign").await;
    let notice = browser.text("#campaign-notice").await;
    assert!(notice.contains("1 queued"), "{notice}");
    browser.screenshot("campaign-launched-en").await;

    // The example journey (abandoned checkout) is saved as it is offered, drawn and started.
    browser.goto("/journeys").await;
    browser.fill("#journey-key", "cart").await;
    browser.fill("#journey-name", "Abandoned checkout").await;
    browser.click_and_load("#create-journey").await;
    for step in ["wait_order", "email", "a_day", "ordered", "sms", "done"] {
        assert!(
            browser
                .has(&format!("svg.journey-graph g[data-step={step}]"))
                .await,
            "the graph draws {step}"
        );
    }
    browser.click_and_load("#start-journey").await;
    assert_eq!(browser.text("#journey-status").await, "Running");

    // The counts are live: a checkout moves them while the page stays open.
    let (status, body) = app
        .segment(
            "/v1/track",
            &json!({"userId": "u-live", "event": "Checkout Started", "properties": {"checkout_id": "c-1"}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    app.tick_journeys().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let waiting = browser
            .text("#journey-steps tr[data-step=wait_order] td.now")
            .await;
        if waiting == "1" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never showed the customer waiting: {waiting}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.screenshot("journey-graph-en").await;
    browser.close().await;
    app.stop().await;
}
