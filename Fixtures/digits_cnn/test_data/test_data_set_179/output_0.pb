
BlogitsJ(Q	Á†»3Á•»ÁDÁ/]ÀrÏ"Á`iÁö·JApsÁ¿YÁ