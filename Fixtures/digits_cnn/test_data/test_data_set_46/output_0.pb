
BlogitsJ(º¸bÁ¶1ÁP—Ö¿zstÀjgJÀÒ¦IÁøÃÁLøó@³îÁbQVÁ