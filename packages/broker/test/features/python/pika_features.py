"""pika against Warren's queue/exchange features. Usage: pika_features.py URL SCENARIO [ARG].
Prints one JSON object per line; the Node test checks them."""
import json
import os
import sys
import time
import uuid

import pika

url, scenario = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None


def emit(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()


def unique(prefix):
    return "test-py-%s-%d-%s" % (prefix, os.getpid(), uuid.uuid4().hex[:6])


def get_one(ch, q, timeout=5.0):
    """basic.get until a message arrives (bounded)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        method, props, body = ch.basic_get(queue=q, auto_ack=True)
        if method is not None:
            return props, body
        time.sleep(0.01)
    raise SystemExit("no message in %s within %ss" % (q, timeout))


def text(v):
    return v.decode() if isinstance(v, bytes) else v


params = pika.URLParameters(url)
params.socket_timeout = 5
conn = pika.BlockingConnection(params)
ch = conn.channel()

if scenario == "ttl_dlx":
    dlx, dlq, q = unique("dlx"), unique("dlq"), unique("ttl")
    ch.exchange_declare(exchange=dlx, exchange_type="fanout", durable=False)
    ch.queue_declare(queue=dlq, durable=False)
    ch.queue_bind(queue=dlq, exchange=dlx)
    ch.queue_declare(queue=q, durable=False, arguments={"x-message-ttl": 20, "x-dead-letter-exchange": dlx})
    ch.basic_publish(exchange="", routing_key=q, body=b"expiring")
    props, body = get_one(ch, dlq)
    death = props.headers["x-death"][0]
    emit(step="dead", body=body.decode(), reason=text(death["reason"]), queue_matches=text(death["queue"]) == q,
         count=death["count"], routing_keys=[text(k) for k in death["routing-keys"]] == [q],
         first_reason=text(props.headers["x-first-death-reason"]))
    for name in (q, dlq):
        ch.queue_delete(queue=name)
    ch.exchange_delete(exchange=dlx)

elif scenario == "priority":
    q = unique("prio")
    ch.queue_declare(queue=q, durable=False, arguments={"x-max-priority": 10})
    for body, prio in (("low", 1), ("high", 9), ("mid", 5), ("none", None)):
        ch.basic_publish(exchange="", routing_key=q, body=body.encode(), properties=pika.BasicProperties(priority=prio))
    order = [get_one(ch, q)[1].decode() for _ in range(4)]
    emit(step="order", order=order)
    ch.queue_delete(queue=q)

elif scenario == "delayed":
    ex, q = unique("delayed"), unique("delayed-q")
    ch.exchange_declare(exchange=ex, exchange_type="x-delayed-message", durable=False, arguments={"x-delayed-type": "direct"})
    ch.queue_declare(queue=q, durable=False)
    ch.queue_bind(queue=q, exchange=ex, routing_key="k")
    ch.basic_publish(exchange=ex, routing_key="k", body=b"later", properties=pika.BasicProperties(headers={"x-delay": 200}))
    ch.basic_publish(exchange=ex, routing_key="k", body=b"sooner", properties=pika.BasicProperties(headers={"x-delay": 50}))
    ch.basic_publish(exchange=ex, routing_key="k", body=b"now")
    order = [get_one(ch, q)[1].decode() for _ in range(3)]
    emit(step="order", order=order)
    try:
        bad = conn.channel()
        bad.exchange_declare(exchange=unique("delayed-bad"), exchange_type="x-delayed-message", durable=False)
        emit(step="bad", code=None)
    except pika.exceptions.ChannelClosedByBroker as e:
        emit(step="bad", code=e.reply_code, text=e.reply_text)
    ch.queue_delete(queue=q)
    ch.exchange_delete(exchange=ex)

elif scenario == "policy":
    # The Node test set a max-length 2 policy for the queue name it passes.
    ch.queue_declare(queue=arg, durable=False)
    for i in range(5):
        ch.basic_publish(exchange="", routing_key=arg, body=("m%d" % i).encode())
    ok = ch.queue_declare(queue=arg, passive=True)
    emit(step="count", message_count=ok.method.message_count)
    emit(step="head", body=get_one(ch, arg)[1].decode())
    ch.queue_delete(queue=arg)

else:
    raise SystemExit("unknown scenario " + scenario)

conn.close()
emit(step="done")
