"""pika: publish three messages, consume them with manual acks, check the queue is then empty."""
import pika

from _common import broker_url, emit, unique

params = pika.URLParameters(broker_url())
params.socket_timeout = 5
params.blocked_connection_timeout = 5
conn = pika.BlockingConnection(params)
ch = conn.channel()
q = unique("pika-basic")
ch.queue_declare(queue=q, auto_delete=False)
for i in range(3):
    ch.basic_publish(exchange="", routing_key=q, body=("msg-%d" % i).encode(),
                     properties=pika.BasicProperties(content_type="text/plain", headers={"n": i}))

got = []


def on_message(chan, method, props, body):
    got.append({"body": body.decode(), "redelivered": method.redelivered,
                "content_type": props.content_type, "n": props.headers["n"]})
    chan.basic_ack(delivery_tag=method.delivery_tag)
    if len(got) == 3:
        chan.stop_consuming()


tag = ch.basic_consume(queue=q, on_message_callback=on_message, auto_ack=False)
# Bound the wait: stop consuming after 10 s whatever happened.
conn.call_later(10, ch.stop_consuming)
ch.start_consuming()
emit(step="consumed", messages=got, consumer_tag=tag)

ok = ch.queue_declare(queue=q, passive=True)
emit(step="after", message_count=ok.method.message_count, consumer_count=ok.method.consumer_count)
ch.queue_delete(queue=q)
conn.close()
emit(step="done")
