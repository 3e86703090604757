"""kombu Producer/Consumer: a JSON payload round trip through a direct exchange."""
import socket

from kombu import Connection, Consumer, Exchange, Producer, Queue

from _common import broker_url, emit, unique

exchange = Exchange(unique("kombu-x"), type="direct", durable=False, auto_delete=False)
queue = Queue(unique("kombu-q"), exchange=exchange, routing_key="jobs", durable=False)
received = []

with Connection(broker_url(), connect_timeout=5) as conn:
    channel = conn.channel()
    producer = Producer(channel, exchange=exchange, routing_key="jobs", serializer="json")
    queue(channel).declare()
    payload = {"id": 7, "name": "compile", "tags": ["a", "b"], "nested": {"ok": True, "ratio": 0.5}}
    producer.publish(payload, declare=[queue], headers={"origin": "kombu"})

    def on_message(body, message):
        received.append({"body": body, "content_type": message.content_type,
                         "origin": message.headers.get("origin")})
        message.ack()

    with Consumer(channel, queues=[queue], callbacks=[on_message], accept=["json"]):
        for _ in range(20):
            if received:
                break
            try:
                conn.drain_events(timeout=0.5)
            except socket.timeout:
                pass
    emit(step="received", messages=received)
    queue(channel).delete()
    exchange(channel).delete()
emit(step="done")
