"""kombu (py-amqp) against Warren's features: TTL + dead-lettering and priorities declared
through kombu's Queue options. Usage: kombu_features.py URL. Prints JSON lines."""
import json
import os
import sys
import uuid

from kombu import Connection, Exchange, Queue


def emit(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()


def unique(prefix):
    return "test-kombu-%s-%d-%s" % (prefix, os.getpid(), uuid.uuid4().hex[:6])


with Connection(sys.argv[1], connect_timeout=5) as conn:
    ch = conn.channel()
    dlx = Exchange(unique("dlx"), type="fanout", durable=False)
    dlq = Queue(unique("dlq"), exchange=dlx, durable=False)
    dlq(ch).declare()
    src = Queue(unique("ttl"), durable=False, message_ttl=0.02, queue_arguments={"x-dead-letter-exchange": dlx.name})
    src(ch).declare()
    producer = conn.Producer(channel=ch)
    producer.publish({"job": 1}, exchange="", routing_key=src.name, serializer="json")
    sq = conn.SimpleQueue(dlq, no_ack=True)
    m = sq.get(block=True, timeout=5)
    death = m.headers["x-death"][0]
    emit(step="dead", payload=m.payload, reason=death["reason"], queue_matches=death["queue"] == src.name)
    sq.close()

    prio = Queue(unique("prio"), durable=False, max_priority=10)
    prio(ch).declare()
    for body, p in (("low", 1), ("high", 9), ("mid", 5)):
        producer.publish(body, exchange="", routing_key=prio.name, priority=p, serializer="json")
    pq = conn.SimpleQueue(prio, no_ack=True)
    emit(step="order", order=[pq.get(block=True, timeout=5).payload for _ in range(3)])
    pq.close()
    for q in (src, dlq, prio):
        q(ch).delete()
    dlx(ch).delete()
emit(step="done")
