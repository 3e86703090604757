"""pika basic_get: messages with their remaining count, then get-empty; nack with requeue redelivers."""
import pika

from _common import broker_url, emit, unique

params = pika.URLParameters(broker_url())
params.socket_timeout = 5
conn = pika.BlockingConnection(params)
ch = conn.channel()
q = unique("pika-get")
ch.queue_declare(queue=q)
for body in (b"a", b"b"):
    ch.basic_publish(exchange="", routing_key=q, body=body)

method, props, body = ch.basic_get(queue=q, auto_ack=False)
emit(step="first", body=body.decode(), message_count=method.message_count, redelivered=method.redelivered)
ch.basic_nack(delivery_tag=method.delivery_tag, requeue=True)

method, props, body = ch.basic_get(queue=q, auto_ack=True)
emit(step="again", body=body.decode(), message_count=method.message_count, redelivered=method.redelivered)
method, props, body = ch.basic_get(queue=q, auto_ack=True)
emit(step="second", body=body.decode(), message_count=method.message_count)
method, props, body = ch.basic_get(queue=q, auto_ack=True)
emit(step="empty", is_none=method is None)
ch.queue_delete(queue=q)
conn.close()
emit(step="done")
