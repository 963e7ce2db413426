
BlogitsJ(YÎ6ÁYÉzÀìŒ.Á¹éØÀ”‚ìÀª—RÁ¿X‹À˜¯	ÁGAôYZÁ