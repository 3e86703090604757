"""kombu SimpleQueue: put, qsize, get with a timeout, ack, and Empty when drained."""
from kombu import Connection, Exchange, Queue

from _common import broker_url, emit, unique

name = unique("kombu-simple")
with Connection(broker_url(), connect_timeout=5) as conn:
    q = conn.SimpleQueue(name, queue_opts={"durable": False}, exchange_opts={"durable": False})
    q.put({"hello": "world"}, serializer="json")
    q.put({"n": 2}, serializer="json")
    got = []
    for _ in range(2):
        m = q.get(block=True, timeout=5)
        got.append(m.payload)
        m.ack()
    emit(step="got", payloads=got)
    try:
        q.get(block=True, timeout=0.5)
        emit(step="empty", raised=False)
    except q.Empty:
        emit(step="empty", raised=True)
    # Cancel the consumer before deleting, or the broker's basic.cancel interrupts kombu.
    q.close()
    ch = conn.channel()
    Queue(name)(ch).delete()
    Exchange(name)(ch).delete()  # SimpleQueue declares an exchange named after the queue
emit(step="done")
