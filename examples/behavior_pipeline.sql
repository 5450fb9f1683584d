-- behavior_pipeline.sql — step one of the user-level (XP) pipeline.
--
-- Reads the raw behaviour events of a live-streaming / video / novel app (120 action
-- types, NDJSON written by several app servers into one directory), and in ONE job:
--   * decodes them (a line that cannot be decoded is dead-lettered by weir, with the
--     reason and its file:line:offset — it neither stops the job nor disappears);
--   * drops the events of test accounts (negative user ids);
--   * normalises each event into (user_id, action, ts, amount, xp, ...): the amount is
--     read from the nested props object, the experience points (XP) an action earns
--     come from one CASE over the action types — the seed of the later XP pipeline;
--   * routes each business line to its own output: live, video, novel, and the shared
--     account/pay/social actions.
--
-- This is plain Flink SQL: it runs unchanged on Flink (1.15+) apart from the two path
-- placeholders, which examples/run_demo.sh substitutes:
--   ${DATA}  the directory of event files      ${OUT}  the output root directory
-- On Flink, a bounded job like this one commits its files at the end in batch mode
-- (SET 'execution.runtime-mode' = 'batch';), or on checkpoints in streaming mode; and
-- the first malformed line fails the job unless 'json.ignore-parse-errors' = 'true',
-- which then drops such lines without a trace.  weir keeps every one of them.

-- The raw events.  One JSON object per line, e.g.
--   {"event_id":"evt-000000002","user_id":21676,"action":"live.send_gift",
--    "ts":"2024-05-01 00:00:06.785","device":"ios","app_version":"5.2.1",
--    "props":{"room_id":8032,"anchor_id":832,"gift_id":4,"gift_count":5,"amount":50.0}}
-- props differs per action; declaring it as a ROW of every field any action carries
-- reads the ones present and leaves the others NULL.
CREATE TABLE user_behavior (
    event_id     STRING,
    user_id      BIGINT,
    action       STRING,                  -- '<business line>.<what>', e.g. live.send_gift
    ts           TIMESTAMP(3),            -- when it happened, on the app server's clock
    device       STRING,
    app_version  STRING,
    props        ROW<
        room_id BIGINT, anchor_id BIGINT, gift_id INT, gift_count INT, watch_ms BIGINT,
        video_id BIGINT, author_id BIGINT, position_ms BIGINT,
        book_id BIGINT, chapter_id INT,
        order_id STRING, channel STRING, currency STRING, target_user_id BIGINT,
        amount DECIMAL(12, 2)>,
    -- computed columns: the business line, and the day (for date partitions)
    biz          AS SPLIT_INDEX(action, '.', 0),
    dt           AS DATE_FORMAT(ts, 'yyyy-MM-dd'),
    -- event time: servers write in time order give or take a few seconds
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
    'connector' = 'filesystem',
    'path' = '${DATA}',
    'format' = 'json'
);

-- The normalised events of real users: what every later step (XP per user per day,
-- levels, leaderboards) consumes.
CREATE VIEW behavior AS
SELECT
    event_id,
    user_id,
    action,
    biz,
    ts,
    dt,
    device,
    props,
    CAST(IFNULL(props.amount, 0) AS DECIMAL(12, 2)) AS amount,
    -- experience points per action type
    CASE
        -- paying actions: XP follows the money (1 XP per coin / yuan, gifts +10)
        WHEN action = 'live.send_gift'                          THEN 10 + CAST(props.amount AS INT)
        WHEN action IN ('pay.recharge', 'pay.vip_buy', 'pay.vip_renew')
                                                                THEN CAST(props.amount AS INT)
        WHEN action IN ('live.guard_buy', 'live.buy_fan_badge', 'novel.buy_book',
                        'novel.reward_author')                  THEN 20
        WHEN action IN ('novel.buy_chapter', 'novel.subscribe', 'video.coin') THEN 5
        -- growth actions
        WHEN action IN ('account.register', 'account.verify_realname')         THEN 50
        WHEN action IN ('social.invite_friend', 'social.share_app')            THEN 20
        WHEN action = 'account.checkin'                         THEN 5
        WHEN action IN ('live.share', 'video.share', 'novel.share')            THEN 5
        WHEN action IN ('video.publish', 'video.upload')        THEN 30
        -- completing content
        WHEN action IN ('video.finish', 'novel.finish_chapter') THEN 3
        WHEN action = 'novel.finish_book'                       THEN 30
        -- interaction
        WHEN action IN ('live.comment', 'live.send_danmaku', 'video.comment', 'video.danmaku',
                        'novel.comment', 'novel.paragraph_comment', 'novel.rate')    THEN 2
        WHEN action IN ('live.follow_anchor', 'video.follow_author', 'social.follow',
                        'live.join_fan_club', 'novel.add_shelf', 'video.favorite')   THEN 2
        WHEN action IN ('live.like', 'video.like', 'novel.vote_ticket')              THEN 1
        -- attention: one XP per minute watched in a live room
        WHEN action = 'live.heartbeat' THEN CAST(IFNULL(props.watch_ms, 0) / 60000 AS INT)
        ELSE 0
    END AS xp
FROM user_behavior
WHERE user_id >= 0;                        -- test accounts have negative ids

-- One output per business line.  Files roll at 16 MB; live/video/novel are split by
-- day (dt=2024-05-01/...), the shared actions by business line (biz=pay/...).
CREATE TABLE live_events (
    event_id STRING, user_id BIGINT, action STRING, ts TIMESTAMP(3),
    room_id BIGINT, anchor_id BIGINT, gift_id INT, gift_count INT,
    amount DECIMAL(12, 2), xp INT, device STRING, dt STRING
) PARTITIONED BY (dt) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}/live', 'format' = 'json',
    'sink.rolling-policy.file-size' = '16mb'
);

CREATE TABLE video_events (
    event_id STRING, user_id BIGINT, action STRING, ts TIMESTAMP(3),
    video_id BIGINT, author_id BIGINT, position_ms BIGINT,
    amount DECIMAL(12, 2), xp INT, device STRING, dt STRING
) PARTITIONED BY (dt) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}/video', 'format' = 'csv',
    'sink.rolling-policy.file-size' = '16mb'
);

CREATE TABLE novel_events (
    event_id STRING, user_id BIGINT, action STRING, ts TIMESTAMP(3),
    book_id BIGINT, chapter_id INT,
    amount DECIMAL(12, 2), xp INT, device STRING, dt STRING
) PARTITIONED BY (dt) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}/novel', 'format' = 'csv',
    'sink.rolling-policy.file-size' = '16mb'
);

CREATE TABLE shared_events (
    event_id STRING, user_id BIGINT, action STRING, ts TIMESTAMP(3),
    order_id STRING, channel STRING, target_user_id BIGINT,
    amount DECIMAL(12, 2), xp INT, device STRING, dt STRING, biz STRING
) PARTITIONED BY (biz) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}/shared', 'format' = 'json',
    'sink.rolling-policy.file-size' = '16mb'
);

-- One job, one pass over the source: every statement reads the same decoded events.
EXECUTE STATEMENT SET
BEGIN

INSERT INTO live_events
SELECT event_id, user_id, action, ts,
       props.room_id, props.anchor_id, props.gift_id, props.gift_count,
       amount, xp, device, dt
FROM behavior
WHERE biz = 'live';

INSERT INTO video_events
SELECT event_id, user_id, action, ts,
       props.video_id, props.author_id, props.position_ms,
       amount, xp, device, dt
FROM behavior
WHERE biz = 'video';

INSERT INTO novel_events
SELECT event_id, user_id, action, ts,
       props.book_id, props.chapter_id,
       amount, xp, device, dt
FROM behavior
WHERE biz = 'novel';

INSERT INTO shared_events
SELECT event_id, user_id, action, ts,
       props.order_id, props.channel, props.target_user_id,
       amount, xp, device, dt, biz
FROM behavior
WHERE biz IN ('account', 'pay', 'social');

END;
