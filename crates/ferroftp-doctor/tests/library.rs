//! The doctor as a library: `run` against a real ferroftp server on a free loopback port,
//! and the report it hands back (text in both languages, JSON, exit code).

use std::sync::Arc;
use std::time::Duration;

use ferroftp_doctor::{target, Lang, Options, Severity};
use ferroftp_proto::perms::Permissions;
use ferroftp_server::users_file::StaticAuthenticator;
use ferroftp_server::{Server, ServerConfig};

const USER: &str = "alice";
const PASS: &str = "library-test-password";

/// Starts a server on 127.0.0.1:0 in this runtime; returns its address and the channel
/// that stops it.
async fn start(root: &std::path::Path) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = ServerConfig {
        listen: vec!["127.0.0.1:0".parse().unwrap()],
        passive_ports: 0..=0,
        login_failure_delay: Duration::from_millis(1),
        ..ServerConfig::default()
    };
    let auth = Arc::new(StaticAuthenticator::new(USER, PASS, root, Permissions::ALL));
    let server = Server::bind(config, auth).await.expect("bind");
    let addr = server.local_addrs()[0];
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_server_gets_a_clean_report() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("hello.txt"), b"hello\n").unwrap();
    let (addr, stop) = start(root.path()).await;

    let target = target::parse(&format!("ftp://{USER}@{addr}/"), false)
        .unwrap()
        .with_password(PASS.to_owned())
        .unwrap();
    let mut options = Options::new(target);
    options.write = true;
    options.timeout = Duration::from_secs(5);
    let report = ferroftp_doctor::run(&options).await;

    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report.summary.exit_code, 0);
    assert!(report
        .findings
        .iter()
        .any(|f| f.check == "login.pass" && f.severity == Severity::Ok));
    // The password never reaches the report.
    let json = report.to_json();
    assert!(!json.contains(PASS));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["exit_code"], 0, "{v:#}");
    let en = report.to_text(Lang::En);
    let vi = report.to_text(Lang::Vi);
    assert!(
        en.contains("Summary") && vi.contains("Tổng kết"),
        "{en}\n{vi}"
    );
    // The scratch directory of the round trip is gone again.
    let left: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["hello.txt"]);
    let _ = stop.send(());
}

#[test]
fn an_unreachable_server_exits_2_from_the_blocking_helper() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = target::parse(&format!("ftp://127.0.0.1:{port}/"), false).unwrap();
    let mut options = Options::new(target);
    options.timeout = Duration::from_secs(2);
    let report = ferroftp_doctor::run_blocking(&options).unwrap();
    assert_eq!(report.summary.exit_code, 2);
    assert!(report.to_text(Lang::En).contains("could not be reached"));
}
