
BlogitsJ(¸çÁt°aÁHÎÑÀâ0ÁGuÁ€%|Áp‘ûÀoôÙÀ+(Av¶íÀ