"""What the tutorial (shared/seed) shows for each endpoint at its defaults: the oracle
the default bodies are compared with, byte for byte.
"""

CHUNKED = "Chunk 0\nChunk 1\nChunk 2\nChunk 3\nChunk 4\n"

JSON = '[\n{"id": 1, "name": "Tom"}\n,\n{"id": 2, "name": "Adam"}\n,\n{"id": 3, "name": "Sam"}\n]'

JSON_NESTED = (
    '{"users":[{"id":1,"name":"Tom","roles":["admin","user"]},{"id":2,"name":"Adam","roles":["user"]}],'
    '"settings":{"theme":"dark","notifications":true}}'
)

IJSON = """\
 start_map None
 map_key items
items start_array None
items.item start_map None
items.item map_key id
items.item.id number 1
items.item end_map None
items.item start_map None
items.item map_key id
items.item.id number 2
items.item end_map None
items.item start_map None
items.item map_key id
items.item.id number 3
items.item end_map None
items end_array None
 end_map None
"""

WEBSOCKET = [f"WebSocket message {i}" for i in range(5)]

# Not in the tutorial; these pin the project's own documented formats.
NDJSON = '{"id": 1, "name": "Tom"}\n{"id": 2, "name": "Adam"}\n{"id": 3, "name": "Sam"}\n' + "".join(
    f'{{"id": {i}, "name": "Person {i}"}}\n' for i in (4, 5)
)
SSE = "".join(f"id: {i}\ndata: SSE message {i}\n\n" for i in range(5))

#: Default body of every HTTP endpoint, by registry name.
HTTP_BODIES = {
    "chunked": CHUNKED,
    "non-chunked": CHUNKED,
    "json": JSON,
    "json-nested": JSON_NESTED,
    "ijson": IJSON,
    "ndjson": NDJSON,
    "sse": SSE,
}
