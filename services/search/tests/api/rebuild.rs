use estospaces_proto::search_v1 as spb;

use crate::helpers::{Backend, LISBON, PORTO, date, query_by, short_stay, spawn_app, titles};

fn stay() -> spb::SearchPropertiesRequest {
    query_by(spb::PropertyQuery {
        check_in: Some(date(2027, 9, 1)),
        check_out: Some(date(2027, 9, 3)),
        ..Default::default()
    })
}

#[tokio::test]
async fn a_rebuilt_index_replays_the_topic_from_the_beginning_into_the_same_results() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let mut moved = short_stay("Flat that moved", "Porto", PORTO.0, PORTO.1, 9_000);
    let blocked = short_stay("Blocked flat", "Lisboa", LISBON.0, LISBON.1, 9_000);
    app.list(&moved).await;
    app.list(&blocked).await;
    app.publish_calendar(&blocked, &[date(2027, 9, 2)]).await;
    moved.title = "Flat in Lisbon now".to_owned();
    moved.address.as_mut().expect("address").locality = "Lisboa".to_owned();
    app.publish_snapshot("property.updated", &moved).await;
    app.until_indexed(&moved).await;
    let before = app.search(stay()).await;
    assert_eq!(titles(&before), ["Flat in Lisbon now"]);
    let generation = app.index_generation();

    app.stop().await;
    app.start(|config| config.service.rebuild_on_start = true)
        .await;
    assert_ne!(
        app.index_generation(),
        generation,
        "a new index, read by a new consumer group"
    );

    let after = app
        .search_until(query_by(Default::default()), |response| {
            response.total_size == 2
        })
        .await;
    assert_eq!(after.total_size, 2);
    let rebuilt = app.search(stay()).await;
    assert_eq!(
        titles(&rebuilt),
        ["Flat in Lisbon now"],
        "the calendar and the update replayed"
    );
    let lisbon = app
        .search(query_by(spb::PropertyQuery {
            text: "lisboa".to_owned(),
            ..Default::default()
        }))
        .await;
    assert_eq!(lisbon.total_size, 2);
}

#[tokio::test]
async fn a_restarted_replica_resumes_after_its_last_commit_without_duplicates() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let first = short_stay("First flat", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&first).await;
    app.until_indexed(&first).await;
    let generation = app.index_generation();
    app.stop().await;

    // Published while the replica is down.
    let second = short_stay("Second flat", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&second).await;
    app.start(|_| {}).await;
    assert_eq!(app.index_generation(), generation, "the same index");
    app.until_indexed(&second).await;
    assert_eq!(app.search(query_by(Default::default())).await.total_size, 2);
}

#[tokio::test]
async fn an_index_left_with_another_schema_is_rebuilt_from_the_topic_at_start() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let flat = short_stay("Flat before the upgrade", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&flat).await;
    app.until_indexed(&flat).await;
    let generation = app.index_generation();
    app.stop().await;

    // As an older version left it: another schema (one field, say, where ratings now have two).
    let dir = estospaces_search::index::index_dir(app.data_dir.path());
    estospaces_search::index::SearchIndex::destroy(&dir).expect("the old index goes");
    std::fs::create_dir_all(&dir).expect("a dir");
    let mut schema = tantivy::schema::Schema::builder();
    schema.add_u64_field("rating", tantivy::schema::FAST);
    tantivy::Index::create_in_dir(&dir, schema.build()).expect("an index of another schema");

    app.start(|_| {}).await;
    assert_ne!(app.index_generation(), generation, "a new index");
    app.until_indexed(&flat).await;
}
