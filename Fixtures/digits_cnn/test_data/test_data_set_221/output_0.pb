
BlogitsJ(/ปYมะ–ณภ”มüษ'มไtEApL0ม{.มcมAมoม