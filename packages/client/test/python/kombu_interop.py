"""Kombu side of the serialization interop test (run with Debian's /usr/bin/python3 + python3-kombu).

  kombu_interop.py publish URL QUEUE JSON [COMPRESSION]  publishes the decoded JSON value with serializer="json"
  kombu_interop.py get URL QUEUE                         prints {"payload", "content_type", "content_encoding"} of one message
"""
import json
import sys
import time

from kombu import Connection, Queue


def main():
    mode, url, queue = sys.argv[1], sys.argv[2], sys.argv[3]
    with Connection(url, connect_timeout=10) as conn:
        if mode == 'publish':
            value = json.loads(sys.argv[4])
            compression = sys.argv[5] if len(sys.argv) > 5 else None
            producer = conn.Producer(serializer='json')
            producer.publish(value, exchange='', routing_key=queue, compression=compression, retry=True)
            return
        q = Queue(queue, channel=conn.default_channel, no_declare=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            message = q.get(no_ack=True)
            if message is not None:
                print(json.dumps({
                    'payload': message.payload,
                    'content_type': message.content_type,
                    'content_encoding': message.content_encoding,
                }))
                return
            time.sleep(0.02)
        sys.exit('no message within 10 s')


if __name__ == '__main__':
    main()
