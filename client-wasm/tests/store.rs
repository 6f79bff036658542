//! The IndexedDB store in a real headless Chromium (`wasm-bindgen-test`): finalizing is atomic,
//! releasing deletes for good, and what either wrote is there after the database is closed and
//! opened again.

#![cfg(target_arch = "wasm32")]

use baraza_client::sync::{EntryState, LocalStore, Outcome};
use baraza_client::web::store::{Draft, Store};
use baraza_schema::wire::PushItem;
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn item(seq: u64, response_id: &str) -> PushItem {
    PushItem {
        device_seq: seq,
        response_id: response_id.into(),
        rev: "1-00000000000000000000000000000000".into(),
        parent_rev: None,
        form_id: "f".into(),
        form_version: "1".into(),
        content_hash: "sha256:x".into(),
        payload: r#"{"a":1}"#.into(),
        saved_at: None,
    }
}

fn draft(id: &str) -> Draft {
    Draft {
        response_id: id.into(),
        form_id: "f".into(),
        form_version: "1".into(),
        answers: json!({"a": 1}),
        parent_rev: None,
        updated_at: "2026-11-28T10:00:00Z".into(),
    }
}

#[wasm_bindgen_test]
async fn finalizing_moves_a_draft_into_the_outbox_and_survives_reopening() {
    let name = "test-finalize";
    let store = Store::open_named(name).await.expect("open");
    store.save_draft(&draft("r1")).await.expect("save r1");
    store.save_draft(&draft("r2")).await.expect("save r2");
    let first = store
        .finalize("r1", |seq| item(seq, "r1"))
        .await
        .expect("finalize r1");
    let second = store
        .finalize("r2", |seq| item(seq, "r2"))
        .await
        .expect("finalize r2");
    assert_eq!(
        (first.device_seq, second.device_seq),
        (1, 2),
        "dense sequence numbers"
    );
    store.close();

    let mut again = Store::open_named(name).await.expect("reopen");
    assert!(
        again.drafts().await.expect("drafts").is_empty(),
        "finalized drafts are gone"
    );
    let outbox = again.entries().await.expect("entries");
    assert_eq!(
        outbox
            .iter()
            .map(|e| e.item.response_id.as_str())
            .collect::<Vec<_>>(),
        ["r1", "r2"]
    );
    assert!(outbox.iter().all(|e| e.state == EntryState::Pending));
    let acked = EntryState::Acked {
        epoch: "e1".into(),
        outcome: Outcome::Sent,
    };
    again
        .update(vec![(1, acked.clone())], Some("e1"))
        .await
        .expect("ack and epoch");
    again.close();

    let third = Store::open_named(name).await.expect("reopen again");
    let outbox = third.entries().await.expect("entries");
    assert_eq!(outbox[0].state, acked, "an acknowledgement is durable");
    assert_eq!(outbox[1].state, EntryState::Pending);
    assert_eq!(third.epoch().await.expect("epoch"), Some("e1".into()));

    // A restored server: the new epoch and entry 1 pending again are one transaction.
    let mut third = third;
    third
        .update(vec![(1, EntryState::Pending)], Some("e2"))
        .await
        .expect("adopt");
    third.close();
    let third = Store::open_named(name)
        .await
        .expect("reopen after adopting");
    assert_eq!(third.epoch().await.expect("epoch"), Some("e2".into()));
    assert_eq!(
        third.entries().await.expect("entries")[0].state,
        EntryState::Pending
    );

    // Once a backup holds entry 1 it leaves the device; sequence numbers are never reused.
    let mut third = third;
    third.release(vec![1]).await.expect("release");
    third.save_draft(&draft("r3")).await.expect("save r3");
    let next = third
        .finalize("r3", |seq| item(seq, "r3"))
        .await
        .expect("finalize r3");
    assert_eq!(
        next.device_seq, 3,
        "a released number is not given out again"
    );
    third.close();
    let fourth = Store::open_named(name).await.expect("reopen a third time");
    let seqs: Vec<u64> = fourth
        .entries()
        .await
        .expect("entries")
        .iter()
        .map(|e| e.item.device_seq)
        .collect();
    assert_eq!(seqs, [2, 3], "the release is durable");
}

#[wasm_bindgen_test]
async fn a_finalize_that_fails_half_way_leaves_the_draft_and_the_outbox_as_they_were() {
    let name = "test-atomic";
    let store = Store::open_named(name).await.expect("open");
    store.save_draft(&draft("r1")).await.expect("save");
    store
        .finalize("r1", |seq| item(seq, "r1"))
        .await
        .expect("finalize");
    store.save_draft(&draft("r2")).await.expect("save r2");
    // Wind the sequence back so that the next outbox key is taken: the outbox write fails
    // after the sequence was read, inside the same transaction.
    store.set_meta("next_seq", &1u64).await.expect("rewind");
    let failed = store.finalize("r2", |seq| item(seq, "r2")).await;
    assert!(failed.is_err(), "a taken key fails the finalize");
    store.close();

    let store = Store::open_named(name).await.expect("reopen");
    assert_eq!(
        store.outbox().await.expect("outbox").len(),
        1,
        "no half-written entry"
    );
    assert_eq!(
        store
            .draft("r2")
            .await
            .expect("draft")
            .map(|d| d.response_id),
        Some("r2".into()),
        "the draft is still there to finalize again"
    );
    assert_eq!(store.meta::<u64>("next_seq").await.expect("seq"), Some(1));
}
