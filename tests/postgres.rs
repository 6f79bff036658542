//! Baraza on PostgreSQL: what only a database shared by several servers can show, and the
//! refusals of `--database`. The rest of the suite runs on PostgreSQL as well
//! (`BARAZA_TEST_DATABASE=postgres`; README, Tests).

use serde_json::Value;

use crate::deploy::sync_status;
use crate::reports_api::{get_json, household, push_households};
use crate::support::{PgCluster, Server, TempDir, baraza_bin};
use crate::sync_api::{item, payload, push};

/// Servers started at the same moment on one fresh PostgreSQL database.
fn servers(pg: &PgCluster, n: usize) -> Vec<Server> {
    std::thread::scope(|scope| {
        let started: Vec<_> = (0..n)
            .map(|i| {
                scope.spawn(move || {
                    Server::start_with_env(
                        TempDir::new(&format!("pg-server-{i}")),
                        &["--demo-frame"],
                        &[("BARAZA_DATABASE_URL", pg.url.as_str())],
                    )
                })
            })
            .collect();
        started
            .into_iter()
            .map(|h| h.join().expect("a server starts"))
            .collect()
    })
}

#[test]
fn three_servers_starting_together_on_an_empty_database_migrate_it_once_and_share_one_admin() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let all = servers(&pg, 3);
    for s in &all {
        assert_eq!(s.health().status(), 200);
    }
    // One admin account, made by whichever server bootstrapped first; the others found it.
    let admin = all[2].admin();
    let users = get_json(&all[0], &admin, "/users");
    let admins: Vec<&Value> = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["role"] == "admin")
        .collect();
    assert_eq!(admins.len(), 1, "{users}");
    let forms = get_json(&all[1], &admin, "/forms");
    assert_eq!(forms["forms"].as_array().map(Vec::len), Some(4), "{forms}");
}

#[test]
fn devices_pushing_through_two_servers_at_once_have_every_interview_stored_exactly_once() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let both = servers(&pg, 2);
    let admin = both[0].admin();
    let devices: Vec<(String, String)> = (0..8)
        .map(|d| both[d % 2].device(&admin, &format!("enum{d}")))
        .collect();
    // Each device sends 6 batches of 5 interviews; each batch goes to both servers at the same
    // moment (a phone retrying on another server while its first request is still in flight).
    // Meanwhile reports are read on both servers: each folds what is new, racing the other
    // server's fold and both background projectors.
    let pushing = &std::sync::atomic::AtomicUsize::new(devices.len());
    std::thread::scope(|scope| {
        for s in &both {
            let admin = &admin;
            scope.spawn(move || {
                while pushing.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                    get_json(s, admin, "/reports/R1");
                }
            });
        }
        for (d, device) in devices.iter().enumerate() {
            let both = &both;
            scope.spawn(move || {
                for batch in 0..6u64 {
                    let items: Vec<Value> = (1..=5u64)
                        .map(|k| {
                            let seq = batch * 5 + k;
                            // Whole households: each counts in the reports.
                            let answers = household(d * 100 + seq as usize).to_string();
                            item(seq, &format!("d{d}-r{seq}"), None, &answers)
                        })
                        .collect();
                    let answers: Vec<(u16, Value)> = std::thread::scope(|inner| {
                        let sent: Vec<_> = both
                            .iter()
                            .map(|s| {
                                let items = items.clone();
                                inner.spawn(move || push(s, device, items))
                            })
                            .collect();
                        sent.into_iter().map(|h| h.join().expect("push")).collect()
                    });
                    for (status, answer) in &answers {
                        assert_eq!(*status, 200, "{answer}");
                    }
                    // Both answers name the same server sequence numbers: one stored them, the
                    // other found them already stored.
                    let seqs = |v: &Value| -> Vec<i64> {
                        v["results"]
                            .as_array()
                            .expect("results")
                            .iter()
                            .map(|r| r["server_seq"].as_i64().unwrap_or(-1))
                            .collect()
                    };
                    assert_eq!(seqs(&answers[0].1), seqs(&answers[1].1));
                    let statuses: Vec<&str> = answers
                        .iter()
                        .flat_map(|(_, v)| v["results"].as_array().expect("results").iter())
                        .map(|r| r["status"].as_str().unwrap_or("?"))
                        .collect();
                    assert_eq!(
                        statuses.iter().filter(|s| **s == "stored").count(),
                        5,
                        "each interview stored once: {statuses:?}"
                    );
                    assert_eq!(
                        statuses.iter().filter(|s| **s == "duplicate").count(),
                        5,
                        "{statuses:?}"
                    );
                }
                pushing.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    held_once(&both[1], &admin, &devices, "d", 30);
    folded_equals_rebuilt(&both[0], &admin, 240);
}

#[test]
fn two_edits_of_one_interview_sent_to_two_servers_at_once_are_both_kept_as_a_conflict() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let both = servers(&pg, 2);
    let admin = both[0].admin();
    let first = both[0].device(&admin, "first");
    let second = both[1].device(&admin, "second");
    for round in 0..5u32 {
        let id = format!("shared-{round}");
        let base = payload(round);
        let (status, _) = push(
            &both[0],
            &first,
            vec![item(u64::from(round) * 2 + 1, &id, None, &base)],
        );
        assert_eq!(status, 200);
        let parent =
            baraza_schema::wire::rev(None, "baraza_f1_household", "2026120301", base.as_bytes());
        let edits = [
            (
                &both[0],
                &first,
                u64::from(round) * 2 + 2,
                base.replace("E01", "E02"),
            ),
            (
                &both[1],
                &second,
                u64::from(round) + 1,
                base.replace("E01", "E03"),
            ),
        ];
        std::thread::scope(|scope| {
            for (s, device, seq, edited) in &edits {
                let (id, parent) = (&id, &parent);
                scope.spawn(move || {
                    let (status, answer) =
                        push(s, device, vec![item(*seq, id, Some(parent), edited)]);
                    assert_eq!(status, 200, "{answer}");
                });
            }
        });
        // Whatever the interleaving, the second edit to commit saw the first: the interview
        // holds both as leaves and says so; neither replaced the other.
        let detail = get_json(&both[1], &admin, &format!("/responses/{id}"));
        assert_eq!(
            detail["summary"]["conflict"], true,
            "round {round}: {detail}"
        );
        assert_eq!(
            detail["revisions"].as_array().map(Vec::len),
            Some(3),
            "{detail}"
        );
    }
}

/// Two phones holding the same new interviews send them to two servers at the same moment, in opposite orders: each batch takes its
/// interviews' locks in one order, so neither waits on the other for ever, and the batch that
/// commits second sees the first's (`store_new` then leaves it to `apply_item`).
#[test]
fn the_same_new_interviews_sent_by_two_phones_to_two_servers_at_once_are_all_kept_as_conflicts() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let both = servers(&pg, 2);
    let admin = both[0].admin();
    let phones = [both[0].device(&admin, "one"), both[1].device(&admin, "two")];
    for round in 0..4u32 {
        let ids: Vec<String> = (0..20).map(|i| format!("twice-{round}-{i}")).collect();
        let seq = |i: usize| u64::from(round) * 20 + i as u64 + 1;
        let batches: Vec<Vec<Value>> = ["E02", "E03"]
            .iter()
            .enumerate()
            .map(|(p, enumerator)| {
                let mut order: Vec<usize> = (0..ids.len()).collect();
                if p == 1 {
                    order.reverse();
                }
                order
                    .into_iter()
                    .enumerate()
                    .map(|(n, i)| {
                        let body = payload(round * 100 + i as u32).replace("E01", enumerator);
                        item(seq(n), &ids[i], None, &body)
                    })
                    .collect()
            })
            .collect();
        let replies: Vec<Value> = std::thread::scope(|scope| {
            let sent: Vec<_> = batches
                .iter()
                .enumerate()
                .map(|(p, items)| {
                    let (server, phone) = (&both[p], &phones[p]);
                    scope.spawn(move || {
                        let (status, reply) = push(server, phone, items.clone());
                        assert_eq!(status, 200, "round {round}: {reply}");
                        reply
                    })
                })
                .collect();
            sent.into_iter()
                .map(|h| h.join().expect("a push"))
                .collect()
        });
        for reply in &replies {
            assert_eq!(reply["acked_through_seq"], u64::from(round) * 20 + 20);
        }
        let mut statuses: Vec<&str> = replies
            .iter()
            .flat_map(|r| r["results"].as_array().into_iter().flatten())
            .map(|r| r["status"].as_str().unwrap_or("?"))
            .collect();
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [vec!["conflict"; 20], vec!["stored"; 20]].concat(),
            "round {round}: one phone's copy of each interview came first, the other's beside it"
        );
        for id in &ids {
            let detail = get_json(
                &both[round as usize % 2],
                &admin,
                &format!("/responses/{id}"),
            );
            assert_eq!(detail["summary"]["conflict"], true, "{detail}");
            assert_eq!(
                detail["revisions"].as_array().map(Vec::len),
                Some(2),
                "{detail}"
            );
        }
    }
}

#[test]
fn a_report_read_on_one_server_counts_what_another_server_stored_a_moment_before() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let both = servers(&pg, 2);
    let admin = both[0].admin();
    let (device_id, token) = both[0].device(&admin, "field");
    // Server 2 builds and caches R1 while there is nothing to count.
    let counted = |s: &Server| -> Vec<u64> {
        get_json(s, &admin, "/reports/R1")["cells"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["estimate"].is_number())
            .map(|c| c["n"].as_u64().unwrap_or(0))
            .collect()
    };
    assert!(counted(&both[1]).is_empty());
    push_households(&both[0], &device_id, &token, 30);
    // Server 1's commit moved the shared data version on: server 2 re-estimates.
    let after = counted(&both[1]);
    assert!(!after.is_empty(), "server 2 shows server 1's households");
    assert!(after.iter().all(|n| *n == 30), "{after:?}");
}

#[test]
fn a_database_address_that_is_not_postgres_or_cannot_be_reached_is_refused_with_a_sentence() {
    for (url, said) in [
        (
            "mysql://root@127.0.0.1/baraza",
            "--database takes a PostgreSQL URL",
        ),
        (
            "postgres://baraza@127.0.0.1:1/baraza",
            "cannot open the PostgreSQL database",
        ),
        ("postgres://baraza@127.0.0.1:notaport/baraza", "not one"),
    ] {
        let data = TempDir::new("pg-refused");
        let out = std::process::Command::new(baraza_bin())
            .args(["user", "list", "--data"])
            .arg(&data.0)
            .env("BARAZA_DATABASE_URL", url)
            .output()
            .expect("baraza runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{url}: {stderr}");
        assert!(stderr.contains(said), "{url}: {stderr}");
        assert!(
            !data.0.join("baraza.sqlite3").exists(),
            "{url}: no SQLite file was made instead"
        );
    }
}

#[test]
fn a_postgresql_that_takes_only_tls_is_reached_over_tls_with_its_certificate_checked() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let files = TempDir::new("pg-tls-files");
    // The database's certificate (for 127.0.0.1), trusted through PGSSLROOTCERT.
    let (_, _, trusted) = crate::deploy::certificate(&files.0);
    let key = std::fs::read_to_string(files.0.join("key.pem")).expect("the key");
    pg.tls_only(&trusted, &key)
        .expect("PostgreSQL restarted with TLS only");
    let ca = files.0.join("cert.pem");
    let ca = ca.to_string_lossy();
    let url = format!("{}?sslmode=require", pg.url);
    let s = Server::start_with_env(
        TempDir::new("pg-tls"),
        &["--demo-frame"],
        &[
            ("BARAZA_DATABASE_URL", url.as_str()),
            ("PGSSLROOTCERT", &ca),
        ],
    );
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "field");
    let answer = push_households(&s, &device_id, &token, 5);
    assert_eq!(answer["acked_through_seq"], 5, "{answer}");
    let held = get_json(&s, &admin, "/responses");
    assert_eq!(
        held["responses"].as_array().map(Vec::len),
        Some(5),
        "{held}"
    );
    // A backup (pg_dump) reaches the same database over TLS too.
    let cli = |args: &[&str], url: &str, root: &str| {
        std::process::Command::new(baraza_bin())
            .args(args)
            .arg("--data")
            .arg(&s.data.0)
            .env("BARAZA_DATABASE_URL", url)
            .env("PGSSLROOTCERT", root)
            .output()
            .expect("baraza runs")
    };
    let dump = files.0.join("backup.dump");
    let out = cli(&["backup", "--to", &dump.to_string_lossy()], &url, &ca);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&dump).is_ok_and(|m| m.len() > 0));
    // This PostgreSQL refuses the clear (so the TLS above was real) …
    let clear = format!("{}?sslmode=disable", pg.url);
    let out = cli(&["user", "list"], &clear, &ca);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("cannot open the PostgreSQL database"),
        "{said}"
    );
    // … and a database whose certificate is not the trusted one is not spoken to.
    let other = TempDir::new("pg-tls-other");
    let (other_ca, _, _) = crate::deploy::certificate(&other.0);
    let out = cli(&["user", "list"], &url, &other_ca.to_string_lossy());
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("cannot open the PostgreSQL database") && said.contains("certificate"),
        "{said}"
    );
    // A root file that holds no certificate is named in the refusal.
    let out = cli(
        &["user", "list"],
        &url,
        &files.0.join("key.pem").to_string_lossy(),
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("PGSSLROOTCERT") && said.contains("no certificate"),
        "{said}"
    );
}

#[test]
fn text_with_a_nul_character_is_kept_or_refused_with_an_answer_never_a_server_error() {
    // PostgreSQL's text cannot hold U+0000, where SQLite's can: a filter or an answer with
    // one must still be answered, and an interview carrying one still kept whole.
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let s = servers(&pg, 1).remove(0);
    let admin = s.admin();
    let device = s.device(&admin, "nul");
    let with_nul = payload(7).replace("\"s01\"", "\"s01\\u0000\"");
    let (status, answer) = push(&s, &device, vec![item(1, "nul-1", None, &with_nul)]);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], "quarantined", "{answer}");
    let held: Value = get_json(&s, &admin, "/quarantine");
    let kept = held["items"].as_array().expect("items")[0]["item"]
        .as_str()
        .expect("the item as sent")
        .to_owned();
    assert!(
        kept.contains("s01\\\\u0000"),
        "the payload keeps its escape: {kept}"
    );
    for path in [
        "/reports/R1?settlement=s01%00",
        "/responses?settlement=%00",
        "/audit?actor=%00",
    ] {
        let res = s
            .http
            .get(s.url(path))
            .bearer_auth(&admin)
            .send()
            .expect("request");
        assert!(res.status().as_u16() < 500, "{path}: {}", res.status());
    }
}

/// `baraza migrate --from <from> --to <to>`: its exit code and what it printed.
/// A stopped server's data folder copied by `baraza migrate` into a new PostgreSQL cluster,
/// which must report both sides equal; the cluster and what the command said.
fn migrated_to_postgres(folder: &TempDir) -> (PgCluster, String) {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let (code, said) = migrate(&folder.0.to_string_lossy(), &pg.url);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("the target holds exactly what the source holds"),
        "{said}"
    );
    (pg, said)
}

fn migrate(from: &str, to: &str) -> (Option<i32>, String) {
    let out = std::process::Command::new(baraza_bin())
        .args(["migrate", "--from", from, "--to", to])
        .output()
        .expect("baraza migrate runs");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_sqlite_data_folder_moves_to_postgres_and_back_whole_and_its_devices_carry_on() {
    // A SQLite server with accounts, a device, interviews and a review.
    let sqlite = Server::start_with_env(
        TempDir::new("pg-move-from"),
        &["--demo-frame"],
        &[("BARAZA_DATABASE_URL", "")],
    );
    let admin = sqlite.admin();
    let device = sqlite.device(&admin, "mover");
    let items: Vec<Value> = (1..=5u64)
        .map(|k| item(k, &format!("mv-{k}"), None, &payload(k as u32)))
        .collect();
    let (status, first) = push(&sqlite, &device, items.clone());
    assert_eq!(status, 200, "{first}");
    let epoch = sync_status(&sqlite, &device)["server_epoch"].clone();
    let folder = sqlite.stop();

    // Into PostgreSQL: every table copied and compared.
    let (pg, said) = migrated_to_postgres(&folder);
    assert!(
        said.contains("revisions") && said.contains("5 row(s)"),
        "{said}"
    );
    // A second copy into the same database is refused: it holds data now.
    let (code, said) = migrate(&folder.0.to_string_lossy(), &pg.url);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("already holds"), "{said}");

    // The server on PostgreSQL: the same accounts and epoch; the device carries on from its
    // sequence, and a replay is still answered as the first time.
    let on_pg = Server::start_with_env(
        TempDir::new("pg-move-to"),
        &[],
        &[("BARAZA_DATABASE_URL", pg.url.as_str())],
    );
    let admin = on_pg.admin();
    assert_eq!(sync_status(&on_pg, &device)["server_epoch"], epoch);
    let (_, replay) = push(&on_pg, &device, items);
    let answered = |v: &Value, field: &str| -> Vec<Value> {
        v["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r[field].clone())
            .collect()
    };
    assert_eq!(
        answered(&replay, "server_seq"),
        answered(&first, "server_seq")
    );
    assert!(
        answered(&replay, "status").iter().all(|s| s == "duplicate"),
        "{replay}"
    );
    let (status, next) = push(&on_pg, &device, vec![item(6, "mv-6", None, &payload(6))]);
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["results"][0]["status"], "stored");
    assert_eq!(
        next["results"][0]["server_seq"], 6,
        "numbering continues after the copied revisions"
    );
    assert_eq!(next["acked_through_seq"], 6);
    // PostgreSQL numbers new rows after the copied ones.
    on_pg.user(&admin, "after-move", "planner");

    // And back to a new SQLite data folder.
    let back = TempDir::new("pg-move-back");
    let (code, said) = migrate(&pg.url, &back.0.to_string_lossy());
    assert_eq!(code, Some(0), "{said}");
    drop(on_pg);
    let again = Server::start_with_env(back, &[], &[("BARAZA_DATABASE_URL", "")]);
    let admin = again.admin();
    let listed = get_json(&again, &admin, "/responses");
    assert_eq!(
        listed["responses"].as_array().map(Vec::len),
        Some(6),
        "{listed}"
    );
}

#[test]
fn a_push_that_postgresql_ends_to_break_a_deadlock_is_run_again_and_stored() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let s = servers(&pg, 1).remove(0);
    let admin = s.admin();
    let device = s.device(&admin, "cycle");
    // Another session (a second server's transaction, say) holds the lock a push takes on
    // the interview, and is slow to notice deadlocks: PostgreSQL ends the push's transaction.
    let mut other = postgres::Client::connect(&pg.url, postgres::NoTls).expect("connect");
    other
        .batch_execute("SET deadlock_timeout = '60s'; BEGIN")
        .expect("begin");
    other
        .execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&"cycle-1"],
        )
        .expect("lock the interview");
    std::thread::scope(|scope| {
        let pushed = scope.spawn(|| push(&s, &device, vec![item(1, "cycle-1", None, &payload(1))]));
        // The push holds its device's row and waits for the interview …
        let mut watcher = postgres::Client::connect(&pg.url, postgres::NoTls).expect("connect");
        while watcher
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                &[],
            )
            .expect("pg_locks")
            .get::<_, i64>(0)
            == 0
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // … and the other session now waits for the device: a cycle, which PostgreSQL breaks
        // by ending the push's transaction (its deadlock check comes first).
        other
            .execute(
                "SELECT id FROM devices WHERE id = $1 FOR UPDATE",
                &[&device.0],
            )
            .expect("the other session gets the device once the push's transaction ends");
        other.batch_execute("ROLLBACK").expect("rollback");
        let (status, answer) = pushed.join().expect("push");
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["results"][0]["status"], "stored", "{answer}");
        assert_eq!(answer["acked_through_seq"], 1, "{answer}");
    });
    let listed = get_json(&s, &admin, "/responses");
    assert_eq!(
        listed["responses"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
}

#[test]
fn while_postgresql_is_down_requests_get_503_and_the_server_recovers_without_a_restart() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let s = servers(&pg, 1).remove(0);
    let admin = s.admin();
    let device = s.device(&admin, "outage");
    let (status, _) = push(&s, &device, vec![item(1, "out-1", None, &payload(1))]);
    assert_eq!(status, 200);
    pg.kill().expect("PostgreSQL stops");
    let second = vec![item(2, "out-2", None, &payload(2))];
    let (status, answer) = push(&s, &device, second.clone());
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["code"], "unavailable", "{answer}");
    pg.restart().expect("PostgreSQL starts again");
    // The same server, not restarted: the device's retry is stored, the first item kept.
    let (status, answer) = push(&s, &device, second);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], "stored", "{answer}");
    assert_eq!(answer["acked_through_seq"], 2);
    let listed = get_json(&s, &admin, "/responses");
    assert_eq!(
        listed["responses"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
}

#[test]
fn a_server_killed_mid_stream_leaves_its_devices_to_the_other_and_nothing_is_lost_or_doubled() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let both = servers(&pg, 2);
    let admin = both[0].admin();
    let devices: Vec<(String, String)> = (0..6)
        .map(|d| both[0].device(&admin, &format!("field{d}")))
        .collect();
    const BATCHES: u64 = 10;
    let sent = std::sync::atomic::AtomicU64::new(0);
    let after_kill = std::sync::atomic::AtomicU64::new(0);
    let killed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        // Server 2 dies (SIGKILL, no shutdown) once a fifth of the batches are in.
        scope.spawn(|| {
            while sent.load(std::sync::atomic::Ordering::SeqCst) < 12 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            both[1].sigkill();
            killed.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        for (d, device) in devices.iter().enumerate() {
            let (both, sent, after_kill, killed) = (&both, &sent, &after_kill, &killed);
            scope.spawn(move || {
                let mut acked = 0;
                for batch in 0..BATCHES {
                    let items = batch_of("k", d, batch);
                    // Alternating servers; what gets no answer goes to the other one.
                    let mut at = (d + batch as usize) % 2;
                    let answer = loop {
                        match try_push(&both[at], device, &items) {
                            Some(answer) => break answer,
                            None => at = 1 - at,
                        }
                    };
                    acked = acked_after(&answer, acked, batch);
                    sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if killed.load(std::sync::atomic::Ordering::SeqCst) {
                        after_kill.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert!(
        after_kill.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "batches went on after the kill: it came mid-stream"
    );
    held_once(&both[0], &admin, &devices, "k", BATCHES * 5);
    folded_equals_rebuilt(&both[0], &admin, 6 * BATCHES * 5);
}

/// Device `d`'s interviews `<prefix><d>-r1` … `-r<each>` are every interview held, once each,
/// and each device is acknowledged and stored up to `each`.
fn held_once(s: &Server, admin: &str, devices: &[(String, String)], prefix: &str, each: u64) {
    let listed = get_json(s, admin, "/responses?limit=1000");
    let mut ids: Vec<&str> = listed["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| r["response_id"].as_str().unwrap_or("?"))
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<String> = (0..devices.len())
        .flat_map(|d| (1..=each).map(move |seq| format!("{prefix}{d}-r{seq}")))
        .collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "every interview once, none doubled");
    for device in devices {
        let status = sync_status(s, device);
        assert_eq!(status["acked_through_seq"], each, "{status}");
        assert_eq!(status["stored"], each, "{status}");
    }
}

/// The reports as folded while the interviews came equal the reports counted afresh by a
/// rebuild (setting the counted states again), and count `households`: each interview once.
fn folded_equals_rebuilt(s: &Server, admin: &str, households: u64) {
    let folded = get_json(s, admin, "/reports/R1");
    let res = s
        .http
        .put(s.url("/settings/reports"))
        .bearer_auth(admin)
        .json(&serde_json::json!({"counted_states": ["received", "has_issues", "approved"]}))
        .send()
        .expect("settings");
    assert_eq!(res.status(), 200);
    let rebuilt = get_json(s, admin, "/reports/R1");
    assert_eq!(rebuilt["cells"][0]["n"], households, "{rebuilt}");
    assert_eq!(folded["cells"], rebuilt["cells"]);
}

/// Device `d`'s batch `batch` of five whole households, `<prefix><d>-r<seq>`.
fn batch_of(prefix: &str, d: usize, batch: u64) -> Vec<Value> {
    (1..=5u64)
        .map(|k| {
            let seq = batch * 5 + k;
            let answers = household(d * 100 + seq as usize).to_string();
            item(seq, &format!("{prefix}{d}-r{seq}"), None, &answers)
        })
        .collect()
}

/// The acknowledgement in the answer to `batch`: never behind the one before, and covering
/// the whole batch.
fn acked_after(answer: &Value, before: u64, batch: u64) -> u64 {
    let now = answer["acked_through_seq"].as_u64().expect("acked");
    assert!(
        now >= before,
        "acknowledgements never go back: {before} → {now}"
    );
    assert_eq!(now, (batch + 1) * 5, "{answer}");
    now
}

/// A push that may find its server gone: the answer, or `None` when there is none (a phone
/// then tries again, here at the other server).
fn try_push(s: &Server, device: &(String, String), items: &[Value]) -> Option<Value> {
    let res = s
        .http
        .post(s.url("/sync/push"))
        .bearer_auth(&device.1)
        .json(&serde_json::json!({"device_id": device.0, "items": items}))
        .send()
        .ok()?;
    if res.status() != 200 {
        return None;
    }
    res.json().ok()
}

#[test]
fn postgresql_killed_and_restarted_under_load_loses_nothing_acknowledged() {
    let pg = PgCluster::start().expect("a PostgreSQL cluster");
    let s = servers(&pg, 1).remove(0);
    let admin = s.admin();
    let devices: Vec<(String, String)> = (0..4)
        .map(|d| s.device(&admin, &format!("load{d}")))
        .collect();
    const BATCHES: u64 = 12;
    let sent = std::sync::atomic::AtomicU64::new(0);
    let unavailable = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        // PostgreSQL stops at once (`pg_ctl stop -m immediate`) a quarter of the way in, and
        // comes back a second later; the server is never restarted.
        scope.spawn(|| {
            while sent.load(std::sync::atomic::Ordering::SeqCst) < 12 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            pg.kill().expect("PostgreSQL stops");
            std::thread::sleep(std::time::Duration::from_secs(1));
            pg.restart().expect("PostgreSQL starts again");
        });
        for (d, device) in devices.iter().enumerate() {
            let (s, sent, unavailable) = (&s, &sent, &unavailable);
            scope.spawn(move || {
                let mut acked = 0;
                for batch in 0..BATCHES {
                    let items = batch_of("o", d, batch);
                    // A phone keeps what was not acknowledged and sends it again.
                    let started = std::time::Instant::now();
                    let answer = loop {
                        let (status, answer) = push(s, device, items.clone());
                        if status == 200 {
                            break answer;
                        }
                        assert_eq!(status, 503, "only 'unavailable' while it is down: {answer}");
                        unavailable.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        assert!(
                            started.elapsed().as_secs() < 60,
                            "the server never recovered"
                        );
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    };
                    acked = acked_after(&answer, acked, batch);
                    sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert!(
        unavailable.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "pushes met the outage: it came under load"
    );
    held_once(&s, &admin, &devices, "o", BATCHES * 5);
    folded_equals_rebuilt(&s, &admin, 4 * BATCHES * 5);
}

#[test]
fn the_demo_city_moves_to_postgres_and_back_with_its_reports_unchanged_and_its_phone_syncing() {
    let demo = Server::demo();
    let admin = demo.admin();
    let device = demo.device(&admin, "moving-phone");
    let first = item(1, "move-1", None, &household(1).to_string());
    let (status, answer) = push(&demo, &device, vec![first]);
    assert_eq!(status, 200, "{answer}");
    let reports = |s: &Server, admin: &str| -> Vec<Value> {
        [
            "/reports/R1",
            "/reports/R4?by=q",
            "/reports/R7",
            "/reports/R16?by=t",
        ]
        .iter()
        .map(|path| get_json(s, admin, path)["cells"].clone())
        .collect()
    };
    let before = reports(&demo, &admin);
    let folder = demo.stop();

    let (pg, _) = migrated_to_postgres(&folder);
    let on_pg = Server::start_with_env(
        TempDir::new("pg-demo-to"),
        &[],
        &[("BARAZA_DATABASE_URL", pg.url.as_str())],
    );
    let admin = on_pg.admin();
    assert_eq!(
        reports(&on_pg, &admin),
        before,
        "the same figures on PostgreSQL"
    );
    // The phone carries on without enrolling again.
    let second = item(2, "move-2", None, &household(2).to_string());
    let (status, answer) = push(&on_pg, &device, vec![second]);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], "stored", "{answer}");
    assert_eq!(answer["acked_through_seq"], 2);
    let moved_on = reports(&on_pg, &admin);

    let back = TempDir::new("pg-demo-back");
    let (code, said) = migrate(&pg.url, &back.0.to_string_lossy());
    assert_eq!(code, Some(0), "{said}");
    drop(on_pg);
    let again = Server::start_with_env(back, &[], &[("BARAZA_DATABASE_URL", "")]);
    let admin = again.admin();
    assert_eq!(
        reports(&again, &admin),
        moved_on,
        "and the same back on SQLite"
    );
    assert_eq!(sync_status(&again, &device)["acked_through_seq"], 2);
}
