
BlogitsJ(Y,Α*ΑCYΑζhΑnU*Α¬µωΏ„tΑμήFΑGΑ$xLA