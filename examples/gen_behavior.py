#!/usr/bin/env python3
"""Generate user-behaviour events of a live-streaming / video / novel app.

One NDJSON line per event, e.g.

  {"event_id":"evt-000000042","user_id":10234,"action":"live.send_gift",
   "ts":"2024-05-01 20:15:03.120","device":"ios","app_version":"5.2.1",
   "props":{"room_id":8801,"anchor_id":501,"gift_id":12,"gift_count":3,"amount":30.0}}

Three business lines -- live streaming (live.*), video (video.*), novels (novel.*) --
and shared actions (account.*, pay.*, social.*): 120 action types in all, with a
realistic skew (three hot actions, video.play, live.heartbeat and novel.read_chapter,
make up a third of the traffic).  The events cover two days (2024-05-01 and 2024-05-02) with an
evening peak, and are spread over a few files, one per app server, each roughly in
time order (a little jitter, as real servers have).

A small fraction of lines (--bad-rate, default 0.5%) is malformed, of several kinds:
truncated JSON, "user_id":"abc", a timestamp that is not one, props that are not an
object, and garbage lines (an HTML error page, a log line, binary junk).  About 1%
of the events come from test accounts (negative user ids), which the example job
filters out.

Everything is deterministic for a given --seed: the same command writes the same bytes.
Besides the events, writes <out>/../manifest.json (or --manifest) with the ground
truth: lines per file, malformed lines per kind, test-user events and valid events
per business line -- so a job's counts can be checked against it.

  python3 gen_behavior.py --out examples/data/behavior --events 200000 --seed 42
  python3 gen_behavior.py --out - --events 1000          # one stream on stdout
  python3 gen_behavior.py --list-actions                   # the action catalogue

Standard library only.
"""

import argparse
import bisect
import json
import os
import random
import sys
from datetime import datetime, timedelta

# --- the action catalogue ---------------------------------------------------------
# (action, weight): weights are relative frequencies; a few hot actions dominate.

LIVE = [
    ("heartbeat", 900), ("enter_room", 420), ("leave_room", 380), ("like", 300),
    ("send_danmaku", 160), ("send_gift", 90), ("share", 25), ("comment", 60),
    ("follow_anchor", 18), ("unfollow_anchor", 3), ("join_fan_club", 4),
    ("buy_fan_badge", 2), ("start_stream", 2), ("end_stream", 2), ("pk_start", 3),
    ("pk_end", 3), ("lottery_join", 12), ("red_packet_send", 2),
    ("red_packet_open", 15), ("guard_buy", 1), ("report_room", 1), ("mute_user", 1),
    ("switch_quality", 10), ("subscribe_notice", 5), ("rank_view", 14),
    ("product_click", 20), ("product_buy", 4), ("connect_mic", 2), ("gift_panel_open", 40),
    ("fullscreen", 22),
]
VIDEO = [
    ("play", 1000), ("finish", 450), ("pause", 120), ("resume", 110), ("seek", 90),
    ("like", 260), ("unlike", 8), ("comment", 70), ("share", 35), ("favorite", 30),
    ("unfavorite", 3), ("download", 12), ("upload", 2), ("publish", 2), ("delete", 1),
    ("follow_author", 15), ("danmaku", 45), ("coin", 20), ("speed_change", 9),
    ("quality_change", 11), ("fullscreen", 50), ("exit", 140), ("ad_impression", 180),
    ("ad_click", 6), ("report", 1), ("not_interested", 7), ("search", 55),
    ("tag_click", 16), ("playlist_add", 5), ("cast_tv", 2),
]
NOVEL = [
    ("read_chapter", 520), ("open_book", 120), ("finish_chapter", 300),
    ("finish_book", 4), ("subscribe", 10), ("unsubscribe", 2), ("buy_chapter", 40),
    ("buy_book", 3), ("add_shelf", 22), ("remove_shelf", 4), ("bookmark", 18),
    ("comment", 9), ("rate", 5), ("share", 4), ("vote_ticket", 6),
    ("reward_author", 2), ("font_change", 3), ("listen_audio", 30),
    ("download_chapter", 8), ("search", 25), ("unlock_by_ad", 14), ("night_mode", 3),
    ("report_typo", 1), ("auto_buy_on", 1), ("paragraph_comment", 7),
]
ACCOUNT = [
    ("login", 220), ("logout", 30), ("register", 8), ("bind_phone", 3),
    ("update_profile", 4), ("change_avatar", 2), ("verify_realname", 1),
    ("delete_account", 1), ("reset_password", 1), ("checkin", 60),
    ("push_open", 45), ("settings_open", 6),
]
PAY = [
    ("recharge", 14), ("recharge_fail", 3), ("refund", 1), ("vip_buy", 3),
    ("vip_renew", 2), ("vip_cancel", 1), ("coupon_claim", 6), ("coupon_use", 3),
    ("withdraw", 1), ("cashier_open", 18),
]
SOCIAL = [
    ("follow", 40), ("unfollow", 6), ("private_message", 35), ("block", 1),
    ("group_join", 3), ("group_leave", 1), ("invite_friend", 4), ("share_app", 5),
    ("profile_visit", 50), ("friend_accept", 3), ("mention", 4), ("report_user", 1),
    ("fans_list_view", 8),
]
CATALOGUE = [(f"{biz}.{name}", w)
             for biz, table in (("live", LIVE), ("video", VIDEO), ("novel", NOVEL),
                                ("account", ACCOUNT), ("pay", PAY), ("social", SOCIAL))
             for name, w in table]

DEVICES = [("android", 52), ("ios", 38), ("web", 6), ("harmony", 4)]
VERSIONS = [("5.2.1", 45), ("5.2.0", 25), ("5.1.3", 15), ("5.0.9", 10), ("4.9.2", 5)]
PAY_CHANNELS = ["alipay", "wechat", "apple_iap", "google_play", "bank_card"]
RECHARGE_TIERS = [6.0, 6.0, 12.0, 30.0, 30.0, 68.0, 98.0, 198.0, 328.0, 648.0]
GIFT_PRICES = {1: 1, 2: 1, 3: 5, 4: 10, 5: 10, 6: 52, 7: 99, 8: 199, 9: 520, 10: 1314,
               11: 3000, 12: 30}

START = datetime(2024, 5, 1)
ENCODE = json.JSONEncoder(separators=(",", ":")).encode
DAYS = 2
BAD_KINDS = ["truncated_json", "user_id_not_a_number", "bad_timestamp",
             "props_not_an_object", "garbage_line"]
GARBAGE = [
    "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    "2024-05-01 20:15:03 ERROR [collector] upstream timed out while reading events",
    "\\x00\\x00\\x00\\x1f\\x8b\\x08 binary junk",
    "user_id=10234&action=live.like&ts=1714565703120",
    "}{",
    "event_id,user_id,action,ts",
]


def weighted(rng, items):
    """A sampler over (value, weight) pairs; returns a function of no arguments."""
    values = [v for v, _ in items]
    cum, total = [], 0
    for _, w in items:
        total += w
        cum.append(total)
    rand, hi = rng.random, len(values) - 1
    return lambda: values[min(bisect.bisect_right(cum, rand() * total), hi)]


def hour_weight(h):
    """Relative traffic per hour of day: a night low, a lunch bump, an evening peak."""
    curve = [3, 2, 1.5, 1, 1, 1.2, 2, 3.5, 4.5, 4.5, 4.5, 5, 6, 5.5, 4.5, 4.5, 5, 5.5,
             6.5, 8, 9.5, 10, 8.5, 5.5]
    return curve[h]


def skewed(rng, n, k):
    """0..n-1, small numbers much more often (k > 1: the larger, the hotter the head)."""
    return int(n * rng.random() ** k)


def props_for(rng, action):
    biz, name = action.split(".", 1)
    p = {}
    if biz == "live":
        room = 8000 + skewed(rng, 2000, 3)  # a few star rooms
        p["room_id"] = room
        p["anchor_id"] = 500 + room % 700
        if name == "send_gift":
            gift = rng.choice(list(GIFT_PRICES))
            count = rng.choice([1, 1, 1, 1, 2, 3, 5, 10, 66, 99])
            p.update(gift_id=gift, gift_count=count, amount=float(GIFT_PRICES[gift] * count))
        elif name in ("guard_buy", "buy_fan_badge", "red_packet_send", "product_buy"):
            p["amount"] = float(rng.choice([1, 6, 20, 100, 198, 1998]))
        elif name == "heartbeat":
            p["watch_ms"] = rng.choice([30000, 60000])
    elif biz == "video":
        p["video_id"] = 100000 + skewed(rng, 50000, 3)
        p["author_id"] = 7000 + p["video_id"] % 3000
        if name in ("play", "finish", "pause", "exit", "seek"):
            p["position_ms"] = rng.randrange(0, 600000, 250)
        if name == "coin":
            p["amount"] = float(rng.choice([1, 2]))
    elif biz == "novel":
        p["book_id"] = 30000 + skewed(rng, 8000, 2.5)
        p["chapter_id"] = rng.randint(1, 1200)
        if name in ("buy_chapter", "buy_book", "reward_author", "vote_ticket"):
            p["amount"] = round(rng.choice([0.1, 0.15, 0.3, 9.9, 50.0, 100.0]), 2)
    elif biz == "pay":
        p["order_id"] = f"ord-{rng.getrandbits(48):012x}"
        p["channel"] = rng.choice(PAY_CHANNELS)
        if name in ("recharge", "recharge_fail", "vip_buy", "vip_renew", "refund", "withdraw"):
            p["amount"] = rng.choice(RECHARGE_TIERS)
            p["currency"] = "CNY"
    elif biz == "social":
        if name not in ("group_join", "group_leave", "share_app", "fans_list_view"):
            p["target_user_id"] = rng.randint(1, 50000)
    elif biz == "account":
        if name in ("login", "register"):
            p["channel"] = rng.choice(["phone", "wechat", "qq", "apple", "weibo"])
    return p


def corrupt(rng, kind, ev):
    """A malformed line of the given kind, made from a good event."""
    if kind == "truncated_json":  # the writer died mid-line: any proper prefix is invalid
        line = ENCODE(ev)
        return line[: rng.randint(1, len(line) - 2)]
    if kind == "user_id_not_a_number":
        ev = dict(ev, user_id=rng.choice(["abc", "u10234", "null?", "12x"]))
    elif kind == "bad_timestamp":
        ev = dict(ev, ts=rng.choice(["2024-13-45 99:99:99", "yesterday", "1714565703xyz"]))
    elif kind == "props_not_an_object":
        ev = dict(ev, props=rng.choice(["room=8801", 42, [1, 2, 3]]))
    else:  # garbage_line
        return rng.choice(GARBAGE)
    return ENCODE(ev)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="examples/data/behavior",
                    help="directory to write app-server-N.jsonl files into, or - for stdout")
    ap.add_argument("--events", type=int, default=200_000, help="lines in all (default 200000)")
    ap.add_argument("--files", type=int, default=4, help="files (app servers) to spread over")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--users", type=int, default=20_000, help="distinct real users")
    ap.add_argument("--bad-rate", type=float, default=0.005, help="fraction of malformed lines")
    ap.add_argument("--test-rate", type=float, default=0.01, help="fraction from test accounts")
    ap.add_argument("--manifest", help="where to write the ground truth "
                    "(default: manifest.json next to the --out directory)")
    ap.add_argument("--list-actions", action="store_true", help="print the action catalogue")
    args = ap.parse_args()

    if args.list_actions:
        for a, w in CATALOGUE:
            print(f"{a}\t{w}")
        print(f"# {len(CATALOGUE)} action types", file=sys.stderr)
        return

    rng = random.Random(args.seed)
    next_action = weighted(rng, CATALOGUE)
    next_device = weighted(rng, DEVICES)
    next_version = weighted(rng, VERSIONS)
    hours = weighted(rng, [(h, hour_weight(h)) for h in range(24)])

    # Timestamps first, sorted: the servers log in (nearly) time order.
    n = args.events
    # (milliseconds since START; the second's text is cached, it repeats a lot)
    stamps = sorted((rng.randrange(DAYS) * 24 + hours()) * 3_600_000
                    + int(rng.random() * 3_600_000) for _ in range(n))
    second_text = {}

    def ts_text(ms):
        sec, milli = divmod(ms, 1000)
        text = second_text.get(sec)
        if text is None:
            text = (START + timedelta(seconds=sec)).strftime("%Y-%m-%d %H:%M:%S")
            second_text[sec] = text
        return f"{text}.{milli:03d}"

    truth = {
        "seed": args.seed, "events": n, "action_types": len(CATALOGUE),
        "files": {}, "malformed": {k: 0 for k in BAD_KINDS}, "test_user_events": 0,
        "valid_real_events": {"live": 0, "video": 0, "novel": 0, "shared": 0},
    }
    if args.out == "-":
        outs, names = [sys.stdout], ["-"]
    else:
        os.makedirs(args.out, exist_ok=True)
        names = [f"app-server-{i + 1}.jsonl" for i in range(args.files)]
        outs = [open(os.path.join(args.out, nm), "w", encoding="utf-8", newline="\n")
                for nm in names]
    counts = [0] * len(outs)

    for i, t in enumerate(stamps):
        # a server stamps its own clock: up to 1.5 s of disorder within a file
        t = min(max(0, t + int(rng.random() * 3000) - 1500), DAYS * 86_400_000 - 1)
        if rng.random() < args.test_rate:
            user = -rng.randint(1, 20)  # QA / load-test accounts
        else:
            # heavy users exist: the busiest ~1% of users make ~10% of the events
            user = 10000 + (skewed(rng, args.users, 2) * 7919) % args.users
        action = next_action()
        ev = {
            "event_id": f"evt-{i:09d}",
            "user_id": user,
            "action": action,
            "ts": ts_text(t),
            "device": next_device(),
            "app_version": next_version(),
            "props": props_for(rng, action),
        }
        if rng.random() < args.bad_rate:
            kind = BAD_KINDS[rng.randrange(len(BAD_KINDS))]
            line = corrupt(rng, kind, ev)
            truth["malformed"][kind] += 1
        else:
            line = ENCODE(ev)
            if user < 0:
                truth["test_user_events"] += 1
            else:
                biz = action.split(".", 1)[0]
                biz = biz if biz in ("live", "video", "novel") else "shared"
                truth["valid_real_events"][biz] += 1
        f = rng.randrange(len(outs))
        outs[f].write(line + "\n")
        counts[f] += 1

    for f in outs:
        if f is not sys.stdout:
            f.close()
    truth["files"] = dict(zip(names, counts))
    truth["malformed_total"] = sum(truth["malformed"].values())
    if args.out != "-":
        path = args.manifest or os.path.join(os.path.dirname(os.path.abspath(args.out)),
                                             "manifest.json")
        with open(path, "w") as f:
            json.dump(truth, f, indent=2)
            f.write("\n")
        print(f"gen_behavior: {n} events ({truth['malformed_total']} malformed, "
              f"{truth['test_user_events']} from test users, {len(CATALOGUE)} action types) "
              f"in {len(outs)} files under {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
