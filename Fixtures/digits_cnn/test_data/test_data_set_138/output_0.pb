
BlogitsJ(lj@Бu1ЉБоG›Б j А­-Бњ	OA+-QБaБЊДxБU3А