
BlogitsJ(-êÁêJgAnLÀ.{)ÁöeÀš65ÁX¢¹À–'ÁYY‹¿˜‘_Á