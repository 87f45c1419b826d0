//! Leases (`leases.rs`) on both backends.

use super::*;

both_backends!(
    a_lease_has_one_holder_until_it_lapses,
    a_released_lease_is_free_at_once,
    racing_replicas_get_one_lease,
    long_lapsed_leases_are_pruned,
);

const TTL: Duration = Duration::from_secs(30);

async fn a_lease_has_one_holder_until_it_lapses(store: Store) {
    let t0 = now();
    assert!(store.lease_acquire("source:hn", "a", t0, TTL).await.unwrap());
    assert!(!store.lease_acquire("source:hn", "b", t0 + chrono::Duration::seconds(29), TTL).await.unwrap());
    // A renewal moves the expiry and keeps when it was first acquired.
    assert!(store.lease_acquire("source:hn", "a", t0 + chrono::Duration::seconds(20), TTL).await.unwrap());
    assert!(!store.lease_acquire("source:hn", "b", t0 + chrono::Duration::seconds(45), TTL).await.unwrap());
    let held = store.leases().await.unwrap();
    assert_eq!(
        held,
        vec![LeaseRow {
            name: "source:hn".into(),
            holder: "a".into(),
            acquired_at: t0,
            expires_at: t0 + chrono::Duration::seconds(50),
        }]
    );
    // Lapsed: b takes it over, and a can no longer renew it.
    let later = t0 + chrono::Duration::seconds(51);
    assert!(store.lease_acquire("source:hn", "b", later, TTL).await.unwrap());
    assert!(!store.lease_acquire("source:hn", "a", later, TTL).await.unwrap());
    let held = store.leases().await.unwrap();
    assert_eq!((held[0].holder.as_str(), held[0].acquired_at), ("b", later));
    // Other names are independent.
    assert!(store.lease_acquire("timer:spikes", "a", later, TTL).await.unwrap());
}

async fn a_released_lease_is_free_at_once(store: Store) {
    assert!(store.lease_acquire("source:hn", "a", now(), TTL).await.unwrap());
    store.lease_release("source:hn", "b").await.unwrap();
    assert!(!store.lease_acquire("source:hn", "b", now(), TTL).await.unwrap(), "only the holder releases");
    store.lease_release("source:hn", "a").await.unwrap();
    assert!(store.lease_acquire("source:hn", "b", now(), TTL).await.unwrap());
}

async fn racing_replicas_get_one_lease(store: Store) {
    for round in 0..5 {
        let name = format!("source:race{round}");
        let tries = (0..6).map(|i| {
            let (store, name) = (store.clone(), name.clone());
            tokio::spawn(async move { store.lease_acquire(&name, &format!("r{i}"), now(), TTL).await.unwrap() })
        });
        let mut won = 0;
        for t in tries {
            won += usize::from(t.await.unwrap());
        }
        assert_eq!(won, 1, "exactly one replica wins {name}");
    }
}

async fn long_lapsed_leases_are_pruned(store: Store) {
    let t0 = now();
    assert!(store.lease_acquire("replica:gone", "gone", t0, TTL).await.unwrap());
    assert!(store.lease_acquire("replica:alive", "alive", t0 + chrono::Duration::minutes(10), TTL).await.unwrap());
    let pruned = store.lease_prune(t0 + chrono::Duration::minutes(5)).await.unwrap();
    assert_eq!(pruned, 1);
    let names: Vec<String> = store.leases().await.unwrap().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["replica:alive"]);
}
