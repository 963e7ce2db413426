
BlogitsJ((╣ а8⌡ЛюDVахчaю┌H≈юzeадщ9ALi"а╬DА?╙а