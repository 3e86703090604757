"""kombu with a topic exchange: the RabbitMQ tutorial bindings, which queue gets which key."""
import socket

from kombu import Connection, Consumer, Exchange, Producer, Queue

from _common import broker_url, emit, unique

x = Exchange(unique("kombu-topic"), type="topic", durable=False)
q1 = Queue(unique("q1"), exchange=x, routing_key="*.orange.*", durable=False)
q2 = Queue(unique("q2"), exchange=x, bindings=None, durable=False)
keys = ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
        "quick.brown.fox", "lazy.pink.rabbit", "orange"]
got = {"q1": [], "q2": []}

with Connection(broker_url(), connect_timeout=5) as conn:
    ch = conn.channel()
    x(ch).declare()
    q1(ch).declare()
    q2(ch).declare()
    q2(ch).bind_to(exchange=x, routing_key="*.*.rabbit")
    q2(ch).bind_to(exchange=x, routing_key="lazy.#")
    producer = Producer(ch, exchange=x, serializer="json")
    for k in keys:
        producer.publish({"key": k}, routing_key=k)

    def collector(name):
        def cb(body, message):
            got[name].append(body["key"])
            message.ack()
        return cb

    with Consumer(ch, queues=[q1], callbacks=[collector("q1")], accept=["json"]), \
            Consumer(ch, queues=[q2], callbacks=[collector("q2")], accept=["json"]):
        for _ in range(40):
            if len(got["q1"]) >= 3 and len(got["q2"]) >= 4:
                break
            try:
                conn.drain_events(timeout=0.25)
            except socket.timeout:
                pass
    emit(step="routed", q1=got["q1"], q2=got["q2"])
    q1(ch).delete()
    q2(ch).delete()
    x(ch).delete()
emit(step="done")
