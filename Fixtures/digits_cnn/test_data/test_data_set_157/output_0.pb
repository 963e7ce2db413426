
BlogitsJ(╝sSаFqYа6ф╘а┌аш╬0ю┌ХЮюд$vа╫│Sю█юЁeA